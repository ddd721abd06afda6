"""Job lists, detail and edit pages, through Django's test client."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rocketjob.job import Job
from tests.claiming import next_claimed_job
from tests.jobsapp.jobs import NoopJob
from tests.mission_control import factories

LIST = "/admin/mission_control/job/"


def state_url(state: str) -> str:
    return f"{LIST}state/{state}/"


def ids_on(response: Any) -> list[str]:
    return re.findall(r'data-job-id="([0-9a-f]{24})"', response.content.decode())


@pytest.fixture
def one_of_each() -> dict[str, Any]:
    return {
        "running": factories.running(description="r"),
        "scheduled": factories.scheduled(description="s"),
        "queued": factories.queued(description="q"),
        "paused": factories.paused(description="p"),
        "completed": factories.completed(description="c"),
        "failed": factories.failed(description="f"),
        "aborted": factories.aborted(description="a"),
    }


def test_admin_index_lists_mission_control(make_client):
    response = make_client("view").get("/admin/")
    assert response.status_code == 200
    assert "Mission Control" in response.content.decode()
    assert LIST in response.content.decode()


def test_running_is_the_home_page(make_client, one_of_each):
    response = make_client("view").get(LIST)
    assert response.status_code == 200
    assert ids_on(response) == [str(one_of_each["running"].pk)]
    assert 'class="mc-progress"' in response.content.decode()


@pytest.mark.parametrize(
    "state", ["scheduled", "queued", "paused", "completed", "failed", "aborted"]
)
def test_each_state_list_shows_only_its_jobs(make_client, one_of_each, state):
    response = make_client("view").get(state_url(state))
    assert response.status_code == 200
    assert ids_on(response) == [str(one_of_each[state].pk)]


def test_all_list_and_sidebar_counts(make_client, one_of_each):
    factories.failed()
    response = make_client("view").get(state_url("all"))
    assert len(ids_on(response)) == 8
    html = response.content.decode()
    counts = dict(
        re.findall(
            r'data-state="(\w+)">\s*<span[^>]*>\w+</span>\s*<span class="mc-count">(\d+)', html
        )
    )
    assert counts == {
        "running": "1",
        "scheduled": "1",
        "queued": "1",
        "paused": "1",
        "completed": "1",
        "failed": "2",
        "aborted": "1",
        "all": "8",
    }


def test_per_state_columns(make_client, one_of_each):
    client = make_client("view")
    assert "Runs in" in client.get(state_url("scheduled")).content.decode()
    assert "Queued for" in client.get(state_url("queued")).content.decode()
    assert "Duration" in client.get(state_url("completed")).content.decode()
    assert "Failed for" in client.get(state_url("failed")).content.decode()
    assert "Throttled" in client.get(LIST).content.decode()


def test_unknown_list_is_404(make_client):
    assert make_client("view").get(state_url("bogus")).status_code == 404


def test_pagination_is_server_side(make_client):
    for i in range(30):
        factories.queued(description=f"job {i:02d}")
    client = make_client("view")
    first = client.get(state_url("queued"), {"per_page": 10, "o": "description"})
    assert len(ids_on(first)) == 10
    assert "1&ndash;10 of 30 jobs" in first.content.decode()
    third = client.get(state_url("queued"), {"per_page": 10, "o": "description", "page": 3})
    html = third.content.decode()
    assert "job 29" in html and "job 19" not in html
    assert "page 3 of 3" in html
    beyond = client.get(state_url("queued"), {"per_page": 10, "page": 99})
    assert "page 3 of 3" in beyond.content.decode()


def test_sorting_both_ways_and_bad_sort_falls_back(make_client):
    low = factories.queued(priority=90, description="low")
    high = factories.queued(priority=5, description="high")
    client = make_client("view")
    assert ids_on(client.get(state_url("queued"), {"o": "priority"})) == [str(high.pk), str(low.pk)]
    assert ids_on(client.get(state_url("queued"), {"o": "-priority"})) == [
        str(low.pk),
        str(high.pk),
    ]
    response = client.get(state_url("queued"), {"o": "$where"}, follow=True)
    assert response.status_code == 200
    assert "Cannot sort by" in response.content.decode()


def test_search_by_description_and_class_is_literal(make_client):
    factories.queued(description="nightly report (eu)")
    factories.queued(description="nightly report xeux")
    failing = factories.failed(description="other")
    client = make_client("view")
    found = ids_on(client.get(state_url("all"), {"q": "report (eu)"}))
    assert len(found) == 1  # parentheses are literal, not a regex group
    assert ids_on(client.get(state_url("all"), {"q": "failingjob"})) == [str(failing.pk)]
    assert ids_on(client.get(state_url("all"), {"q": ".*"})) == []


def test_filter_by_class(make_client):
    factories.queued()
    failing = factories.failed()
    response = make_client("view").get(state_url("all"), {"class": "Job.FailingJob"})
    assert ids_on(response) == [str(failing.pk)]
    assert '<option value="Job.NoopJob">' in response.content.decode()


def test_job_with_unloadable_class_is_listed_and_shown(make_client):
    job_id = factories.unloadable(description="from the future")
    client = make_client("admin")
    response = client.get(state_url("failed"))
    assert ids_on(response) == [str(job_id)]
    assert "class not loadable" in response.content.decode()
    detail = client.get(f"{LIST}{job_id}/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "GoneAwayJob" in html and "Class not loadable" in html
    assert 'data-action="destroy"' in html
    assert 'data-action="retry"' not in html
    assert "/edit/" not in html
    assert Job.unknown_classes() == ["Job.GoneAwayJob"]


def test_detail_shows_fields_exception_and_custom_fields(make_client):
    job = factories.failed(message="disk full", description="nightly")
    html = make_client("view").get(f"{LIST}{job.pk}/").content.decode()
    assert "nightly" in html
    assert "ValueError" in html and "disk full" in html
    assert "Backtrace" in html and "raise ValueError" in html
    assert "Custom fields" in html and "&quot;message&quot;" in html
    for name in ("created_at", "started_at", "completed_at", "failure_count"):
        assert name in html


def test_detail_of_missing_or_bad_id_is_404(make_client):
    client = make_client("view")
    assert client.get(f"{LIST}ffffffffffffffffffffffff/").status_code == 404
    assert client.get(f"{LIST}not-an-id/").status_code == 404


def test_running_detail_shows_progress(make_client):
    job = factories.running()
    job.set_fields(percent_complete=42)
    html = make_client("view").get(f"{LIST}{job.pk}/").content.decode()
    assert 'aria-valuenow="42"' in html and "width: 42%" in html


def test_edit_form_has_typed_inputs(make_client):
    job = factories.queued()
    html = make_client("manager").get(f"{LIST}{job.pk}/edit/").content.decode()
    assert re.search(r'<input type="number" name="priority"[^>]*min="1"[^>]*max="100"', html)
    assert re.search(r'<select name="log_level"', html)
    assert re.search(r'<input type="datetime-local" name="run_at"', html)
    assert re.search(r'<textarea name="description"', html)


def test_edit_saves_changes(make_client):
    job = factories.queued(description="old")
    response = make_client("manager").post(
        f"{LIST}{job.pk}/edit/",
        {
            "description": "new",
            "priority": "7",
            "log_level": "DEBUG",
            "run_at": "",
            "throttle_group": "",
        },
    )
    assert response.status_code == 302
    job.reload()
    assert (job.description, job.priority, job.log_level) == ("new", 7, "DEBUG")


def test_time_limit_is_shown_and_edited(make_client):
    job = factories.queued()
    client = make_client("manager")
    html = client.get(f"{LIST}{job.pk}/edit/").content.decode()
    assert re.search(r'<input type="number" name="time_limit"', html)
    response = client.post(
        f"{LIST}{job.pk}/edit/",
        {"description": "", "priority": "50", "log_level": "", "time_limit": "90.5"},
    )
    assert response.status_code == 302
    job.reload()
    assert job.time_limit == 90.5
    assert "90.5" in client.get(f"{LIST}{job.pk}/").content.decode()
    refused = client.post(f"{LIST}{job.pk}/edit/", {"priority": "50", "time_limit": "0"})
    assert refused.status_code == 400
    job.reload()
    assert job.time_limit == 90.5


def test_edit_shows_validation_errors_and_saves_nothing(make_client):
    job = factories.queued(description="old")
    client = make_client("manager")
    response = client.post(
        f"{LIST}{job.pk}/edit/",
        {"description": "new", "priority": "500", "log_level": "LOUD", "run_at": "yesterday"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value is less than or equal to 100" in html
    assert "Select a valid choice" in html
    assert "Enter a valid date/time" in html
    job.reload()
    assert (job.description, job.priority) == ("old", 50)


def test_edit_of_unloadable_job_redirects_with_message(make_client):
    job_id = factories.unloadable()
    response = make_client("manager").get(f"{LIST}{job_id}/edit/", follow=True)
    assert "cannot be edited" in response.content.decode()


def test_live_refresh_script_and_regions(make_client, one_of_each):
    client = make_client("view")
    for url in (LIST, f"{LIST}{one_of_each['running'].pk}/"):
        html = client.get(url).content.decode()
        assert "mission_control/mission_control.js" in html
        assert "data-mc-live" in html and "data-mc-refresh-seconds" in html


def test_static_files_exist():
    from django.contrib.staticfiles import finders

    assert finders.find("mission_control/mission_control.js")
    assert finders.find("mission_control/mission_control.css")


def test_no_job_is_created_by_viewing(make_client, one_of_each):
    client = make_client("view")
    before = Job._get_collection().count_documents({})
    for state in ("running", "all", "failed"):
        client.get(state_url(state))
    assert Job._get_collection().count_documents({}) == before
    assert NoopJob.objects.count() == 6  # all but the failed one


def test_scheduled_cron_job_shows_its_schedule(make_client):
    from tests.jobsapp.plugin_jobs import CronNoopJob

    job = CronNoopJob.create()
    html = make_client("view").get(state_url("scheduled")).content.decode()
    assert ids_on_page(html) == [str(job.pk)]
    assert "*/5 * * * *" in html


def test_retry_plugin_history_is_shown(make_client):
    from tests.jobsapp.plugin_jobs import RetryFailingJob

    job = RetryFailingJob.create()
    job.start("host:1:0")
    job.fail(RuntimeError("first"), worker_name="host:1:0")
    job.reload()
    assert job.failed_at_list
    html = make_client("view").get(f"{LIST}{job.pk}/").content.decode()
    assert "Retry history" in html
    assert job.failed_at_list[0].strftime("%Y-%m-%d %H:%M:%S UTC") in html


def ids_on_page(html: str) -> list[str]:
    return re.findall(r'data-job-id="([0-9a-f]{24})"', html)


def test_corrupt_document_is_flagged_not_fatal(make_client):
    from rocketjob.plugins.job.model import utc_now

    doc = {
        "_cls": "Job.NoopJob",
        "state": "failed",
        "created_at": utc_now(),
        "exception": "not a subdocument",
        "description": "corrupt",
    }
    job_id = Job._get_collection().insert_one(doc).inserted_id
    client = make_client("admin")
    listing = client.get(state_url("failed"))
    assert listing.status_code == 200 and ids_on(listing) == [str(job_id)]
    detail = client.get(f"{LIST}{job_id}/").content.decode()
    assert "cannot be loaded" in detail and 'data-action="destroy"' in detail


def test_running_list_shows_records_and_busy_workers(make_client):
    from datetime import timedelta

    from rocketjob.plugins.job.model import utc_now
    from rocketjob.runtime.claim_filter import ClaimFilter
    from rocketjob.runtime.server import ActiveWorker, Server
    from tests.jobsapp.mission_control_jobs import RecordCheckBatchJob

    job = RecordCheckBatchJob.create_from_upload([str(i) for i in range(12)])
    next_claimed_job(RecordCheckBatchJob, "web:1:0", ClaimFilter()).rocketjob_batch_before(
        "web:1:0"
    )
    server = Server.register("web:1", max_workers=3)
    started = utc_now() - timedelta(seconds=3)
    server.send_heartbeat(
        3,
        [
            ActiveWorker(worker_name=f"web:1:{i}", job_id=str(job.pk), started_at=started)
            for i in range(3)
        ],
    )
    html = make_client("view").get(LIST).content.decode()
    row = html.split(f'data-job-id="{job.pk}"')[1].split("</tr>")[0]
    assert "<td>12</td>" in row  # records
    assert 'title="web:1:0">3</span>' in row  # three workers busy with it
    assert "processing" in row


def test_a_rate_limited_job_is_shown_as_throttled(make_client):
    import time

    from rocketjob import ClaimFilter
    from rocketjob.runtime.claim import next_job
    from tests.jobsapp.runtime_jobs import RateLimitedJob  # 5 starts per 2 s

    while time.time() % 2.0 > 1.0:  # all six claims in one window
        time.sleep(0.05)
    jobs = [RateLimitedJob.create() for _ in range(6)]
    claim_filter = ClaimFilter()
    for _ in range(6):
        next_job(Job, "host:1:0", claim_filter)
    client = make_client("view")
    listing = client.get(f"{LIST}state/queued/").content.decode()
    assert "rate_limit" in listing
    detail = client.get(f"{LIST}{jobs[5].pk}/").content.decode()
    assert "rate_limit" in detail


def test_a_running_batch_job_shows_the_batch_throttle_that_holds(make_client):
    from rocketjob import ClaimFilter
    from rocketjob.runtime.claim import next_job
    from tests.jobsapp.batch_jobs import GatedBatchJob

    job = GatedBatchJob.create_from_upload([str(i) for i in range(20)])
    started = next_job(Job, "host:1:0", ClaimFilter())
    assert started is not None
    started.work("host:1:0", lambda: True)  # before_batch; its worker leaves at once
    job.set_fields(gate_closed=True)
    assert next_job(Job, "host:1:1", ClaimFilter()) is None  # the joiner records why
    listing = make_client("view").get(f"{LIST}state/running/").content.decode()
    assert "gate_is_closed" in listing
