"""Mission Control in a real headless Chromium, against a live Django server."""

from __future__ import annotations

from typing import Any

import pytest

from rocketjob.job import Job
from tests.mission_control import factories
from tests.mission_control.browser import chromium_page, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
XSS = "<script>alert('xss')</script><img src=x onerror=\"alert('img')\">"


@pytest.fixture
def superuser(transactional_db: Any) -> tuple[str, str]:
    from django.contrib.auth.models import User

    User.objects.create_superuser("ops", "ops@example.com", "mission-control-pw")
    return "ops", "mission-control-pw"


def test_script_in_job_data_is_inert_in_the_browser(live_server, superuser):
    job = factories.failed(message=XSS, description=XSS)
    factories.queued(description=XSS)
    with chromium_page() as page:
        login(page, live_server.url, *superuser)
        for path in ("state/failed/", "state/all/", f"{job.pk}/", f"{job.pk}/edit/"):
            page.goto(f"{live_server.url}/admin/mission_control/job/{path}")
            page.wait_for_load_state("load")
        page.goto(f"{live_server.url}/admin/mission_control/job/{job.pk}/")
        assert XSS in page.inner_text(".mc-exception-message")
        assert XSS in page.inner_text(".mc-description")
        assert page.locator("img[src=x]").count() == 0
        # Let a live refresh happen too: refreshed content must stay inert.
        page.wait_for_function("document.documentElement.dataset.mcRefreshed", timeout=30_000)
        assert page.dialogs == []


def test_lists_refresh_themselves(live_server, superuser):
    failed = factories.failed(description="will be retried elsewhere")
    with chromium_page() as page:
        login(page, live_server.url, *superuser)
        page.goto(f"{live_server.url}/admin/mission_control/job/state/failed/")
        assert page.locator(f'tr[data-job-id="{failed.pk}"]').count() == 1
        Job.load(failed.pk).retry()  # another operator or process changes it
        page.locator(f'tr[data-job-id="{failed.pk}"]').wait_for(state="detached", timeout=30_000)
        counts = page.locator('a[data-state="queued"] .mc-count')
        assert counts.inner_text() == "1"


def test_every_list_renders_and_screenshots(live_server, superuser):
    jobs = {
        "running": factories.running(description="Import customer orders"),
        "scheduled": factories.scheduled(description="Nightly report"),
        "queued": factories.queued(description="Send welcome email"),
        "paused": factories.paused(description="Rebuild search index"),
        "completed": factories.completed(description="Thumbnail generation"),
        "failed": factories.failed(message="connection refused", description="Sync to CRM"),
        "aborted": factories.aborted(description="Old export"),
    }
    jobs["running"].set_fields(percent_complete=64)
    with chromium_page() as page:
        login(page, live_server.url, *superuser)
        for state, job in jobs.items():
            path = "" if state == "running" else f"state/{state}/"
            page.goto(f"{live_server.url}/admin/mission_control/job/{path}")
            assert page.locator(f'tr[data-job-id="{job.pk}"]').count() == 1
        page.goto(f"{live_server.url}/admin/mission_control/job/")
        screenshot(page, "running", for_docs=True)
        page.goto(f"{live_server.url}/admin/mission_control/job/state/failed/")
        screenshot(page, "failed-list", for_docs=True)
        page.goto(f"{live_server.url}/admin/mission_control/job/{jobs['failed'].pk}/")
        screenshot(page, "failed-job", for_docs=True)
        page.goto(f"{live_server.url}/admin/mission_control/job/{jobs['scheduled'].pk}/edit/")
        screenshot(page, "edit", for_docs=True)
        assert page.dialogs == []


def test_batch_failures_in_the_browser(live_server, superuser):
    records = ["alice", "bob", "bad <script>alert('x')</script>", "carol", "dave", "erin", "frank"]
    job = factories.failed_batch(records, description="Import customers")
    base = f"{live_server.url}/admin/mission_control/job/{job.pk}"
    with chromium_page() as page:
        login(page, live_server.url, *superuser)
        page.goto(f"{base}/")
        assert "1 failed" in page.inner_text("#mc-batch")
        screenshot(page, "batch-job", for_docs=True)
        page.click("#mc-batch a.button")
        page.wait_for_url("**/exceptions/")
        page.click('tr[data-exception="ValueError"] a')
        page.click('tr[data-slice="1"] a')
        highlighted = page.locator("tr.mc-highlight")
        assert highlighted.count() == 1 and "bad <script>" in highlighted.inner_text()
        screenshot(page, "batch-slice", for_docs=True)
        highlighted.locator("a", has_text="Edit").click()
        page.fill("textarea[name=record]", '"bad record, fixed"')
        page.click("input[type=submit]")
        page.wait_for_selector(".messagelist .success")
        assert "bad record, fixed" in page.inner_text("#mc-records")
        assert page.dialogs == []
