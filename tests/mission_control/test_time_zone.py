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


def test_the_edit_form_shows_and_reads_run_at_in_the_viewer_zone(make_client, job):
    client = make_client("manager")
    client.cookies["mc_tz"] = "Asia/Tokyo"
    edit = f"{LIST}{job.pk}/edit/"
    html = client.get(edit).content.decode()
    assert 'value="2026-07-01T21:30:05"' in html  # 12:30:05 UTC in Tokyo
    form = {"description": "", "priority": "50", "log_level": "", "throttle_group": ""}
    response = client.post(edit, {**form, "run_at": "2026-07-02T09:00:00"})
    assert response.status_code == 302
    job.reload()
    assert job.run_at.replace(tzinfo=UTC) == datetime(2026, 7, 2, 0, 0, tzinfo=UTC)


def test_server_list_and_dirmon_dates_follow_the_viewer_zone(make_client, job):
    from rocketjob.runtime.server import Server

    Server.register("zone:1", max_workers=1)
    client = make_client("view")
    client.cookies["mc_tz"] = "Asia/Tokyo"
    servers = client.get("/admin/mission_control/server/").content.decode()
    assert servers.count(" JST") >= 2  # started and heartbeat titles


def test_a_jobs_own_dates_follow_the_viewer_zone(make_client):
    from tests.jobsapp.mission_control_jobs import DatedReportJob

    job = DatedReportJob.create(report_day=WHEN)
    client = make_client("view")
    client.cookies["mc_tz"] = "Asia/Tokyo"
    html = detail(client, job)
    assert "&quot;report_day&quot;: &quot;2026-07-01 21:30:05 JST&quot;" in html
