"""Dates in the viewer's time zone (the browser's, via the mc_tz cookie), never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mission_control.timezones import zone_named
from tests.mission_control import factories

LIST = "/admin/mission_control/job/"
WHEN = datetime(2026, 7, 1, 12, 30, 5, tzinfo=UTC)


@pytest.fixture
def job(db):
    job = factories.failed()
    job.set_fields(run_at=WHEN)
    return job


def detail(client, job) -> str:
    response = client.get(f"{LIST}{job.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_dates_default_to_utc(make_client, job):
    html = detail(make_client("view"), job)
    assert "2026-07-01 12:30:05 UTC" in html
    assert 'Times in <span id="mc-tz">UTC</span>' in html


def test_dates_follow_the_browser_zone(make_client, job):
    client = make_client("view")
    client.cookies["mc_tz"] = "Asia/Kolkata"
    html = detail(client, job)
    assert "2026-07-01 18:00:05 IST" in html
    assert 'Times in <span id="mc-tz">Asia/Kolkata</span>' in html
    client.cookies["mc_tz"] = "America/New_York"
    assert "2026-07-01 08:30:05 EDT" in detail(client, job)


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "", "x" * 500, "<script>"]
)
def test_unknown_zone_falls_back_to_the_default(make_client, job, name):
    client = make_client("view")
    client.cookies["mc_tz"] = name
    html = detail(client, job)
    assert "2026-07-01 12:30:05 UTC" in html
    assert zone_named(name) is None


def test_setting_is_the_default_zone(make_client, job, settings):
    settings.MISSION_CONTROL_TIME_ZONE = "Europe/Paris"
    client = make_client("view")
    assert "2026-07-01 14:30:05 CEST" in detail(client, job)
    client.cookies["mc_tz"] = "Mars/Olympus"
    assert "2026-07-01 14:30:05 CEST" in detail(client, job)


def test_zone_applies_to_lists_too(make_client, job):
    client = make_client("view")
    client.cookies["mc_tz"] = "Asia/Tokyo"
    html = client.get(f"{LIST}state/failed/").content.decode()
    assert " JST" in html and "Times in" in html
