"""Layout in a real Chromium: no sideways scrolling at 1280 px with the admin's sidebar open,
and dates shown in the browser's own time zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.mission_control import factories
from tests.mission_control.browser import chromium_page, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LONG = "Import the customer orders of every region " * 3


@pytest.fixture
def superuser(transactional_db: Any) -> tuple[str, str]:
    from django.contrib.auth.models import User

    User.objects.create_superuser("ops", "ops@example.com", "mission-control-pw")
    return "ops", "mission-control-pw"


def assert_no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


def assert_fits(page: Any) -> None:
    assert_no_sideways_scroll(page)
    header = page.locator("#result_list th", has_text="Actions")
    box = header.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1280, box
    for button in page.locator(".mc-row-actions .button").all():
        button_box = button.bounding_box()
        assert button_box is not None and button_box["x"] + button_box["width"] <= 1280


def test_job_lists_fit_1280px_with_the_admin_sidebar_open(live_server, superuser):
    running = factories.running(description=LONG, throttle_group="a-long-throttle-group-name")
    running.set_fields(percent_complete=40, worker_name="worker-host-with-a-long-name:12345:7")
    factories.failed(description=LONG, message="boom")
    factories.queued(description=LONG)
    factories.paused(description=LONG)
    with chromium_page(viewport=(1280, 800), nav_sidebar_open=True) as page:
        login(page, live_server.url, *superuser)
        assert page.locator("#nav-sidebar").is_visible()
        for path in ("", "state/failed/", "state/queued/", "state/paused/", "state/all/"):
            page.goto(f"{live_server.url}/admin/mission_control/job/{path}")
            assert_fits(page)
        for path in ("dashboard/", f"{running.pk}/"):  # no table, but no sideways scroll either
            page.goto(f"{live_server.url}/admin/mission_control/job/{path}")
            assert_no_sideways_scroll(page)
        page.goto(f"{live_server.url}/admin/mission_control/job/")
        screenshot(page, "running-sidebar-open", for_docs=True)


def test_dates_are_shown_in_the_browser_time_zone(live_server, superuser):
    job = factories.failed(description="Nightly CRM sync", message="connection refused")
    with chromium_page(timezone_id="Asia/Tokyo") as page:
        login(page, live_server.url, *superuser)  # the first page sets the mc_tz cookie
        page.goto(f"{live_server.url}/admin/mission_control/job/{job.pk}/")
        assert page.inner_text("#mc-tz") == "Asia/Tokyo"
        created = page.locator(".mc-kv tr", has_text="created_at").inner_text()
        expected = job.created_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")
        assert expected in created and "JST" in created
        screenshot(page, "time-zone", for_docs=True)
