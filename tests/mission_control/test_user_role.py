"""Ruby's "user" role: act on (and edit) only the jobs one created."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from mission_control.roles import role_permissions
from rocketjob.job import Job
from tests.mission_control import factories

LIST = "/admin/mission_control/job/"
EDIT = {"description": "changed", "priority": "7", "log_level": "", "run_at": ""}


def raw(job) -> dict:
    return Job._get_collection().find_one({"_id": job.pk})


def test_user_role_sits_between_dirmon_and_view():
    assert role_permissions("user") == ["act_on_own_jobs", *role_permissions("view")]
    assert "act_on_own_jobs" in role_permissions("manager")
    assert "act_on_own_jobs" not in role_permissions("view")


def test_groups_command_lists_the_user_role(db):
    out = StringIO()
    call_command("mission_control_groups", stdout=out)
    assert "Mission Control user: act_on_own_jobs, view_job" in out.getvalue()


def test_created_by_is_stored_and_shown(make_client):
    job = factories.failed(created_by="alice <b>")
    assert raw(job)["created_by"] == "alice <b>"
    assert job.status()["created_by"] == "alice <b>"
    html = make_client("view").get(f"{LIST}{job.pk}/").content.decode()
    assert "alice &lt;b&gt;" in html


def test_user_acts_on_own_job(make_client):
    client = make_client("user")
    own = factories.failed(created_by=client.username)
    html = client.get(f"{LIST}{own.pk}/").content.decode()
    assert 'data-action="retry"' in html and "/edit/" in html
    response = client.post(f"{LIST}{own.pk}/action/retry/", {"expected_state": "failed"})
    assert response.status_code == 302
    assert raw(own)["state"] == "queued"
    response = client.post(f"{LIST}{own.pk}/action/pause/", {"expected_state": "queued"})
    assert raw(own)["state"] == "paused"
    response = client.post(f"{LIST}{own.pk}/edit/", EDIT)
    assert response.status_code == 302 and raw(own)["description"] == "changed"
    response = client.post(f"{LIST}{own.pk}/action/destroy/", {"expected_state": "paused"})
    assert response.status_code == 302 and raw(own) is None


def test_user_is_refused_on_other_jobs_and_nothing_changes(make_client):
    client = make_client("user")
    others = factories.failed(created_by="someone-else", description="theirs")
    anonymous = factories.failed(description="nobody's")
    for job in (others, anonymous):
        before = raw(job)
        html = client.get(f"{LIST}{job.pk}/").content.decode()
        assert 'data-action="retry"' not in html and "/edit/" not in html
        for name in ("retry", "abort", "destroy"):
            response = client.post(f"{LIST}{job.pk}/action/{name}/", {"expected_state": "failed"})
            assert response.status_code == 403
        assert client.get(f"{LIST}{job.pk}/edit/").status_code == 403
        assert client.post(f"{LIST}{job.pk}/edit/", EDIT).status_code == 403
        assert raw(job) == before


def test_user_bulk_action_on_own_jobs_only(make_client):
    client = make_client("user")
    own = factories.failed(created_by=client.username)
    others = factories.failed(created_by="someone-else")
    mixed = {"action": "retry", "_selected_action": [f"{own.pk}:failed", f"{others.pk}:failed"]}
    assert client.post(f"{LIST}bulk/", {**mixed, "post": "yes"}).status_code == 403
    assert raw(own)["state"] == "failed" and raw(others)["state"] == "failed"
    response = client.post(
        f"{LIST}bulk/",
        {"action": "retry", "_selected_action": [f"{own.pk}:failed"], "post": "yes"},
        follow=True,
    )
    assert "1 job retried" in response.content.decode()
    assert raw(own)["state"] == "queued" and raw(others)["state"] == "failed"


def test_manager_still_acts_on_every_job(make_client):
    job = factories.failed(created_by="someone-else")
    client = make_client("manager")
    client.post(f"{LIST}{job.pk}/action/retry/", {"expected_state": "failed"})
    assert raw(job)["state"] == "queued"


def test_view_role_cannot_act_even_on_own_jobs(make_client):
    client = make_client("view")
    own = factories.failed(created_by=client.username)
    response = client.post(f"{LIST}{own.pk}/action/retry/", {"expected_state": "failed"})
    assert response.status_code == 403 and raw(own)["state"] == "failed"


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Path]:
    allowed = {**settings.ROCKETJOB, "dirmon_allowed_paths": [str(tmp_path)]}
    with override_settings(ROCKETJOB=allowed):
        yield tmp_path


def test_jobs_from_a_dirmon_entry_made_in_mission_control_are_its_creators(make_client, inbox):
    from rocketjob.jobs.dirmon_entry import DirmonEntry
    from rocketjob.jobs.upload_file import UploadFileJob
    from tests.jobsapp.mission_control_jobs import RecordCheckBatchJob

    creator = make_client("dirmon")
    response = creator.post(
        "/admin/mission_control/dirmonentry/new/?job_class_name=RecordCheckBatchJob",
        {"name": "imports", "pattern": str(inbox / "*.csv"), "archive_directory": "archive"},
    )
    assert response.status_code == 302
    entry = DirmonEntry.objects.get(name="imports")
    assert entry.created_by == creator.username
    detail = creator.get(f"/admin/mission_control/dirmonentry/{entry.pk}/").content.decode()
    assert f"by {creator.username}" in detail
    entry.enable()
    (inbox / "rows.csv").write_text("alice\nbob\n")
    upload = entry.start_job(inbox / "rows.csv")
    assert upload.created_by == creator.username
    UploadFileJob.objects.get(pk=upload.pk).perform()
    job = RecordCheckBatchJob.objects.get()
    assert job.created_by == creator.username

    abort = (f"{LIST}{job.pk}/action/abort/", {"expected_state": "queued"})
    assert make_client("user").post(*abort).status_code == 403  # someone else's job
    assert raw(job)["state"] == "queued"
    # The dirmon role includes the user role: the entry's creator may act on the job.
    assert creator.post(*abort).status_code == 302 and raw(job)["state"] == "aborted"


def test_user_repairs_the_records_of_own_batch_job_only(make_client):
    client = make_client("user")
    records = ["a", "b", "bad 1", "c"]
    own = factories.failed_batch(records, created_by=client.username)
    others = factories.failed_batch(records, created_by="someone-else")
    own_slice = client.get(f"{LIST}{own.pk}/slices/1/").content.decode()
    assert "/records/2/edit/" in own_slice and "/records/2/delete/" in own_slice
    assert "/records/2/edit/" not in client.get(f"{LIST}{others.pk}/slices/1/").content.decode()
    exceptions = client.get(f"{LIST}{own.pk}/exceptions/").content.decode()
    assert f"{own.pk}/action/retry/" in exceptions  # the Retry button of the exceptions page
    assert (
        f"{others.pk}/action/retry/"
        not in client.get(f"{LIST}{others.pk}/exceptions/").content.decode()
    )

    fixed = {"record": '"fixed 1"'}
    assert client.post(f"{LIST}{others.pk}/slices/1/records/2/edit/", fixed).status_code == 403
    assert client.post(f"{LIST}{others.pk}/slices/1/records/0/delete/").status_code == 403
    assert client.get(f"{LIST}{others.pk}/slices/1/records/2/edit/").status_code == 403
    response = client.post(f"{LIST}{own.pk}/slices/1/records/2/edit/", fixed, follow=True)
    assert "Record 3 saved." in response.content.decode()
    assert "fixed 1" in client.get(f"{LIST}{own.pk}/slices/1/").content.decode()
    assert "fixed 1" not in client.get(f"{LIST}{others.pk}/slices/1/").content.decode()
