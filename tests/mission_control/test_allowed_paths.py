"""A manager cannot make a job read a file outside ROCKETJOB["dirmon_allowed_paths"].

The attack of issue 11: edit a failed UploadFileJob's ``upload_file_name`` to a secret file,
retry it, and read the file's lines on the new batch job's slice page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bson import ObjectId
from django.conf import settings
from django.test import override_settings

from rocketjob.connection import slices_db
from rocketjob.job import Job
from rocketjob.jobs import UploadFileJob
from tests.jobsapp.plugin_jobs import work_next

LIST = "/admin/mission_control/job/"
SECRET = "root:TOP-SECRET-HASH"


@pytest.fixture
def incoming(tmp_path: Path) -> Iterator[Path]:
    """The only allowed directory; a secret file lies beside it, outside the allow-list."""
    allowed = tmp_path / "incoming"
    allowed.mkdir()
    (tmp_path / "shadow").write_text(f"{SECRET}\n")
    only = {**settings.ROCKETJOB, "dirmon_allowed_paths": [str(allowed)]}
    with override_settings(ROCKETJOB=only):
        yield allowed


def failed_upload(incoming: Path) -> UploadFileJob:
    bad = incoming / "bad.csv"
    bad.write_text("name\nada\n")  # CsvBatchJob needs an "amount" column: the upload fails
    upload = UploadFileJob.create(
        job_class_name="CsvBatchJob", upload_file_name=str(bad), job_id=ObjectId()
    )
    work_next()
    upload.reload()
    assert upload.state == "failed"
    return upload


def secret_readable_anywhere() -> bool:
    """Whether any input slice collection holds the secret's line."""
    db = slices_db()
    for name in db.list_collection_names():
        if name.startswith("rocketjob_input_"):
            for raw in db[name].find():
                if SECRET in repr(raw):
                    return True
    return False


def test_edit_to_a_file_outside_the_allow_list_is_refused_and_retry_reads_nothing(
    make_client, incoming
):
    upload = failed_upload(incoming)
    client = make_client("manager")
    response = client.post(
        f"{LIST}{upload.pk}/edit/",
        {
            "job_class_name": "EchoBatchJob",
            "properties": "{}",
            "upload_file_name": str(incoming.parent / "shadow"),
            "original_file_name": "",
            "priority": "30",
            "description": "",
            "log_level": "",
            "run_at": "",
            "throttle_group": "",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "outside the allowed paths" in html
    stored = Job._get_collection().find_one({"_id": upload.pk})
    assert stored["upload_file_name"] == str(incoming / "bad.csv")
    assert stored["job_class_name"] == "CsvBatchJob"

    retry = client.post(f"{LIST}{upload.pk}/action/retry/", {"expected_state": "failed"})
    assert retry.status_code == 302
    work_next()
    assert not secret_readable_anywhere()


def test_a_symlink_inside_the_allowed_directory_pointing_outside_is_refused(make_client, incoming):
    upload = failed_upload(incoming)
    link = incoming / "innocent.txt"
    link.symlink_to(incoming.parent / "shadow")
    response = make_client("manager").post(
        f"{LIST}{upload.pk}/edit/",
        {
            "job_class_name": "EchoBatchJob",
            "properties": "{}",
            "upload_file_name": str(link),
            "priority": "30",
        },
    )
    assert response.status_code == 400
    assert "outside the allowed paths" in response.content.decode()
    stored = Job._get_collection().find_one({"_id": upload.pk})
    assert stored["upload_file_name"] == str(incoming / "bad.csv")


def test_an_allowed_path_can_still_be_set(make_client, incoming):
    upload = failed_upload(incoming)
    good = incoming / "good.txt"
    good.write_text("a\nb\n")
    response = make_client("manager").post(
        f"{LIST}{upload.pk}/edit/",
        {
            "job_class_name": "EchoBatchJob",
            "properties": "{}",
            "upload_file_name": str(good),
            "priority": "30",
        },
    )
    assert response.status_code == 302
    upload.reload()
    assert upload.upload_file_name == str(good)


def test_upload_properties_cannot_set_a_field_that_needs_destroy_job(make_client, incoming):
    """A manager without destroy_job must not reach a requires_permission field through an
    UploadFileJob's properties (the job it creates would carry the change)."""
    upload = failed_upload(incoming)
    response = make_client("manager").post(
        f"{LIST}{upload.pk}/edit/",
        {
            "job_class_name": "ReportPathBatchJob",
            "properties": '{"keep_days": 1}',
            "upload_file_name": str(incoming / "bad.csv"),
            "priority": "30",
        },
    )
    assert response.status_code == 400
    assert "need a permission" in response.content.decode()
    stored = Job._get_collection().find_one({"_id": upload.pk})
    assert (stored["job_class_name"], stored.get("properties", {})) == ("CsvBatchJob", {})


def test_upload_properties_cannot_name_a_path_outside_the_allow_list(make_client, incoming):
    upload = failed_upload(incoming)
    response = make_client("manager").post(
        f"{LIST}{upload.pk}/edit/",
        {
            "job_class_name": "ReportPathBatchJob",
            "properties": f'{{"report_path": "{incoming.parent / "shadow"}"}}',
            "upload_file_name": str(incoming / "bad.csv"),
            "priority": "30",
        },
    )
    assert response.status_code == 400
    assert "outside the allowed paths" in response.content.decode()
    assert Job._get_collection().find_one({"_id": upload.pk}).get("properties", {}) == {}
