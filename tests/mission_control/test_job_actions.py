"""Single and bulk job actions: transitions, confirmation, conflicts, destroy."""

from __future__ import annotations

import pytest

from rocketjob.job import Job
from tests.mission_control import factories

LIST = "/admin/mission_control/job/"


def action_url(job_id, name: str) -> str:
    return f"{LIST}{job_id}/action/{name}/"


def state_of(job_id) -> str | None:
    raw = Job._get_collection().find_one({"_id": getattr(job_id, "pk", job_id)})
    return None if raw is None else raw["state"]


@pytest.mark.parametrize(
    ("make", "action", "expected"),
    [
        (factories.failed, "retry", "queued"),
        (factories.queued, "pause", "paused"),
        (factories.paused, "resume", "queued"),
        (factories.running, "fail", "failed"),
        (factories.queued, "abort", "aborted"),
        (factories.failed, "abort", "aborted"),
    ],
)
def test_single_action_applies_the_event(make_client, make, action, expected):
    job = make()
    response = make_client("manager").post(
        action_url(job.pk, action), {"expected_state": job.state}, follow=True
    )
    assert response.status_code == 200
    assert state_of(job) == expected
    assert "messagelist" in response.content.decode()


def test_run_now_clears_run_at(make_client):
    job = factories.scheduled()
    make_client("manager").post(action_url(job.pk, "run_now"), {"expected_state": "queued"})
    job.reload()
    assert job.run_at is None and job.state == "queued"


def test_fail_records_an_exception(make_client):
    job = factories.running()
    make_client("manager").post(action_url(job.pk, "fail"), {"expected_state": "running"})
    job.reload()
    assert job.state == "failed" and job.exception.message == "failed by a user"


def test_get_on_an_action_shows_a_confirmation_and_changes_nothing(make_client):
    job = factories.failed()
    response = make_client("admin").get(action_url(job.pk, "destroy"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Destroy this job?" in html and "csrfmiddlewaretoken" in html
    assert state_of(job) == "failed"


def test_destroy_removes_the_job(make_client):
    job = factories.failed()
    response = make_client("admin").post(
        action_url(job.pk, "destroy"), {"expected_state": "failed"}
    )
    assert response.status_code == 302 and response["Location"] == LIST
    assert state_of(job) is None


def test_destroy_of_unloadable_job(make_client):
    job_id = factories.unloadable()
    make_client("admin").post(action_url(job_id, "destroy"), {"expected_state": "failed"})
    assert state_of(job_id) is None


def test_running_job_cannot_be_destroyed(make_client):
    job = factories.running()
    response = make_client("admin").post(
        action_url(job.pk, "destroy"), {"expected_state": "running"}, follow=True
    )
    assert "cannot be destroyed while it is running" in response.content.decode()
    assert state_of(job) == "running"


def test_action_on_a_job_that_changed_meanwhile_fails_cleanly(make_client):
    job = factories.failed()
    client = make_client("manager")
    Job.load(job.pk).retry()  # someone else retried it first
    response = client.post(action_url(job.pk, "retry"), {"expected_state": "failed"}, follow=True)
    html = response.content.decode()
    assert "changed from failed to queued meanwhile" in html
    assert state_of(job) == "queued"
    raw = Job._get_collection().find_one({"_id": job.pk})
    assert raw["failure_count"] == 1 and "exception" not in raw


def test_action_not_allowed_in_current_state(make_client):
    job = factories.completed()
    response = make_client("manager").post(action_url(job.pk, "retry"), {}, follow=True)
    assert "cannot be retried while it is completed" in response.content.decode()
    assert state_of(job) == "completed"


def test_destroy_loses_a_race_cleanly(make_client, monkeypatch):
    """The job starts running between the check and the delete: nothing is deleted."""
    from mission_control import actions

    job = factories.queued()
    original = actions.JobAction.allowed

    def allowed_then_started(self, row):
        result = original(self, row)
        Job._get_collection().update_one({"_id": job.pk}, {"$set": {"state": "running"}})
        return result

    monkeypatch.setattr(actions.JobAction, "allowed", allowed_then_started)
    response = make_client("admin").post(
        action_url(job.pk, "destroy"), {"expected_state": "queued"}, follow=True
    )
    assert "changed state or vanished meanwhile" in response.content.decode()
    assert state_of(job) == "running"


def test_state_conflict_from_the_event_is_reported(make_client, monkeypatch):
    """The job changes after it was loaded: the atomic update refuses, a message says so."""
    from mission_control import actions

    job = factories.queued()
    original = actions.JobAction.allowed

    def allowed_then_paused(self, row):
        result = original(self, row)
        Job._get_collection().update_one({"_id": job.pk}, {"$set": {"state": "paused"}})
        return result

    monkeypatch.setattr(actions.JobAction, "allowed", allowed_then_paused)
    response = make_client("manager").post(
        action_url(job.pk, "abort"), {"expected_state": "queued"}, follow=True
    )
    assert "another process changed it first" in response.content.decode()
    assert state_of(job) == "paused"


def test_unknown_action_is_404(make_client):
    job = factories.queued()
    assert make_client("admin").post(action_url(job.pk, "explode")).status_code == 404


def test_action_on_a_missing_job_is_404(make_client):
    response = make_client("manager").post(
        action_url("ffffffffffffffffffffffff", "retry"), {}, follow=True
    )
    assert response.status_code == 404


def test_buttons_follow_allowed_events(make_client):
    client = make_client("admin")
    failed = client.get(f"{LIST}{factories.failed().pk}/").content.decode()
    assert 'data-action="retry"' in failed and 'data-action="abort"' in failed
    assert 'data-action="pause"' not in failed and 'data-action="resume"' not in failed
    queued = client.get(f"{LIST}{factories.queued().pk}/").content.decode()
    assert 'data-action="pause"' in queued and 'data-action="retry"' not in queued
    assert 'data-action="run_now"' not in queued
    scheduled = client.get(f"{LIST}{factories.scheduled().pk}/").content.decode()
    assert 'data-action="run_now"' in scheduled
    running = client.get(f"{LIST}{factories.running().pk}/").content.decode()
    assert 'data-action="destroy"' not in running and 'data-action="fail"' in running
    assert 'data-action="pause"' not in running  # plain jobs are not pausable while running


def test_a_running_job_with_checkpoints_offers_pause_and_pauses(make_client):
    from tests.jobsapp.foundation_jobs import PausableJob, PausableWithoutCheckpointsJob

    client = make_client("manager")
    without = PausableWithoutCheckpointsJob.create()
    without.start("host:1:0")
    page = client.get(f"{LIST}{without.pk}/").content.decode()
    assert 'data-action="pause"' not in page  # it would never stop: not offered
    job = PausableJob.create()
    job.start("host:1:0")
    assert 'data-action="pause"' in client.get(f"{LIST}{job.pk}/").content.decode()
    response = client.post(action_url(job.pk, "pause"), {"expected_state": "running"}, follow=True)
    assert response.status_code == 200
    assert state_of(job) == "paused"


# -- bulk ----------------------------------------------------------------------------------


def bulk(client, action, jobs, post=False):
    data = {
        "action": action,
        "_selected_action": [f"{j.pk}:{j.state}" for j in jobs],
        "next": f"{LIST}state/all/",
    }
    if post:
        data["post"] = "yes"
    return client.post(f"{LIST}bulk/", data)


def test_bulk_action_confirms_first(make_client):
    jobs = [factories.failed(), factories.failed(), factories.completed()]
    client = make_client("manager")
    response = bulk(client, "retry", jobs)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Retry 3 selected jobs?" in html and "Yes, retry 2 jobs" in html
    assert "no: not allowed while completed" in html
    assert [state_of(j) for j in jobs] == ["failed", "failed", "completed"]


def test_bulk_action_applies_to_eligible_jobs(make_client):
    jobs = [factories.failed(), factories.failed(), factories.completed()]
    response = bulk(make_client("manager"), "retry", jobs, post=True)
    assert response.status_code == 302 and response["Location"] == f"{LIST}state/all/"
    assert [state_of(j) for j in jobs] == ["queued", "queued", "completed"]


def test_bulk_destroy(make_client):
    jobs = [factories.failed(), factories.aborted()]
    bulk(make_client("admin"), "destroy", jobs, post=True)
    assert [state_of(j) for j in jobs] == [None, None]


def test_bulk_reports_jobs_that_changed(make_client):
    jobs = [factories.failed(), factories.failed()]
    client = make_client("manager")
    Job.load(jobs[1].pk).abort()
    response = client.post(
        f"{LIST}bulk/",
        {"action": "retry", "post": "yes", "_selected_action": [f"{j.pk}:failed" for j in jobs]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 job retried." in html and "changed from failed to aborted meanwhile" in html
    assert [state_of(j) for j in jobs] == ["queued", "aborted"]


def test_bulk_without_selection_or_action(make_client):
    client = make_client("manager")
    response = client.post(f"{LIST}bulk/", {"action": "retry"}, follow=True)
    assert "Select one or more jobs first." in response.content.decode()
    response = client.post(f"{LIST}bulk/", {"action": ""}, follow=True)
    assert "Choose an action first." in response.content.decode()


def test_bulk_next_must_be_local(make_client):
    job = factories.failed()
    response = make_client("manager").post(
        f"{LIST}bulk/",
        {
            "action": "retry",
            "post": "yes",
            "_selected_action": [f"{job.pk}:failed"],
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == LIST


def test_bulk_get_is_not_allowed(make_client):
    assert make_client("manager").get(f"{LIST}bulk/").status_code == 405


def test_list_rows_offer_ruby_row_actions_only(make_client):
    job = factories.failed()
    html = make_client("admin").get(f"{LIST}state/failed/").content.decode()
    row = html.split(f'data-job-id="{job.pk}"')[1].split("</tr>")[0]
    assert ">Retry</button>" in row and ">Destroy</a>" in row
    assert ">Abort<" not in row and ">Fail<" not in row
    assert '<option value="abort">' in html  # still available as a bulk action
