"""UploadFileJob: creates batch jobs by uploading, and non-batch jobs with the file name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bson import ObjectId
from django.conf import settings
from django.test import override_settings

from rocketjob.connection import slices_db
from rocketjob.exceptions import JobValidationError
from rocketjob.jobs import UploadFileJob
from tests.jobsapp.batch_jobs import CsvBatchJob, EchoBatchJob
from tests.jobsapp.plugin_jobs import FileNoteJob, work_next


@pytest.fixture(autouse=True)
def allowed_paths(tmp_path: Path) -> Iterator[None]:
    """The files these tests name lie in ``tmp_path`` (or the fictional ``/data``)."""
    allowed = {**settings.ROCKETJOB, "dirmon_allowed_paths": [str(tmp_path), "/data"]}
    with override_settings(ROCKETJOB=allowed):
        yield


def test_batch_job_is_created_with_the_uploaded_file(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("name,amount\nada,1\nbob,2\n")
    job_id = ObjectId()
    UploadFileJob.create(
        job_class_name="CsvBatchJob",
        properties={"description": "people"},
        upload_file_name=str(source),
        original_file_name="people.csv",
        job_id=job_id,
    )
    assert work_next() is not None
    batch = CsvBatchJob.objects.get()
    assert batch.pk == job_id
    assert batch.description == "people"
    assert batch.record_count == 2


def test_non_batch_job_gets_the_file_name() -> None:
    UploadFileJob.create(
        job_class_name="FileNoteJob",
        properties={"label": "x"},
        upload_file_name="/data/archive/1_a.txt",
        original_file_name="/data/a.txt",
    )
    work_next()
    note = FileNoteJob.objects.get()
    assert note.upload_file_name == "/data/archive/1_a.txt"
    assert note.original_file_name == "/data/a.txt"
    assert note.label == "x"


def test_bad_file_fails_the_upload_job_and_leaves_no_job_or_slices(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("name\nada\n")  # the required "amount" column is missing
    job_id = ObjectId()
    upload = UploadFileJob.create(
        job_class_name="CsvBatchJob", upload_file_name=str(source), job_id=job_id
    )
    work_next()
    upload.reload()
    assert upload.state == "failed"
    assert CsvBatchJob.objects.count() == 0
    assert f"rocketjob_input_{job_id}" not in slices_db().list_collection_names()


def test_properties_must_be_user_editable(tmp_path: Path) -> None:
    with pytest.raises(JobValidationError, match=r"does not accept properties \['record_count'\]"):
        UploadFileJob.create(
            job_class_name="EchoBatchJob",
            properties={"record_count": 5},
            upload_file_name=str(tmp_path / "x"),
        )
    assert UploadFileJob.objects.count() == 0
    # Written behind the application's back, the worker still refuses them.
    upload = UploadFileJob.create(
        job_class_name="EchoBatchJob", upload_file_name=str(tmp_path / "x")
    )
    UploadFileJob._get_collection().update_one(
        {"_id": upload.pk}, {"$set": {"properties": {"record_count": 5}}}
    )
    work_next()
    upload.reload()
    assert upload.state == "failed"
    assert "does not accept properties ['record_count']" in upload.exception.message
    assert EchoBatchJob.objects.count() == 0


def test_a_retry_after_the_job_was_created_does_not_create_it_twice(tmp_path: Path) -> None:
    source = tmp_path / "rows.txt"
    source.write_text("a\nb\n")
    job_id = ObjectId()
    upload = UploadFileJob.create(
        job_class_name="EchoBatchJob", upload_file_name=str(source), job_id=job_id
    )
    work_next()  # completes (and, destroy_on_complete, removes) the upload job
    assert upload.perform() == job_id  # as a retried attempt would
    assert EchoBatchJob.objects.count() == 1


# -- the allow-list (issue 11, item 1) ----------------------------------------------------
@pytest.fixture
def allow_only(tmp_path: Path) -> Iterator[Path]:
    """Allow ``tmp_path/incoming`` only; ``tmp_path/shadow`` is a secret outside it."""
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (tmp_path / "shadow").write_text("root:SECRET\n")
    allowed = {**settings.ROCKETJOB, "dirmon_allowed_paths": [str(incoming)]}
    with override_settings(ROCKETJOB=allowed):
        yield incoming


def test_create_refuses_a_file_outside_the_allowed_paths(allow_only: Path) -> None:
    with pytest.raises(JobValidationError, match="outside the allowed paths"):
        UploadFileJob.create(
            job_class_name="EchoBatchJob", upload_file_name=str(allow_only.parent / "shadow")
        )
    with pytest.raises(JobValidationError, match="outside the allowed paths"):
        UploadFileJob.create(
            job_class_name="EchoBatchJob", upload_file_name=str(allow_only / ".." / "shadow")
        )
    assert UploadFileJob.objects.count() == 0


def test_set_fields_refuses_a_file_outside_the_allowed_paths(allow_only: Path) -> None:
    good = allow_only / "rows.txt"
    good.write_text("a\n")
    upload = UploadFileJob.create(
        job_class_name="EchoBatchJob", upload_file_name=str(good), run_at=None
    )
    with pytest.raises(JobValidationError, match="outside the allowed paths"):
        upload.set_fields(upload_file_name=str(allow_only.parent / "shadow"))
    stored = UploadFileJob._get_collection().find_one({"_id": upload.pk})
    assert stored["upload_file_name"] == str(good)


def test_a_symlink_escaping_the_allowed_directory_is_refused(allow_only: Path) -> None:
    link = allow_only / "looks-fine.txt"
    link.symlink_to(allow_only.parent / "shadow")
    with pytest.raises(JobValidationError, match="outside the allowed paths"):
        UploadFileJob.create(job_class_name="EchoBatchJob", upload_file_name=str(link))


def test_without_allowed_paths_no_file_can_be_named(tmp_path: Path) -> None:
    source = tmp_path / "rows.txt"
    source.write_text("a\n")
    none_allowed = {**settings.ROCKETJOB, "dirmon_allowed_paths": []}
    with (
        override_settings(ROCKETJOB=none_allowed),
        pytest.raises(JobValidationError, match="no ROCKETJOB"),
    ):
        UploadFileJob.create(job_class_name="EchoBatchJob", upload_file_name=str(source))


def test_worker_refuses_a_path_changed_behind_the_apps_back(allow_only: Path) -> None:
    good = allow_only / "rows.txt"
    good.write_text("a\n")
    upload = UploadFileJob.create(job_class_name="EchoBatchJob", upload_file_name=str(good))
    secret = str(allow_only.parent / "shadow")
    UploadFileJob._get_collection().update_one(
        {"_id": upload.pk}, {"$set": {"upload_file_name": secret}}
    )
    work_next()
    upload.reload()
    assert upload.state == "failed"
    assert "outside the allowed paths" in upload.exception.message
    assert EchoBatchJob.objects.count() == 0
    for name in slices_db().list_collection_names():
        assert "SECRET" not in repr(list(slices_db()[name].find()))


def test_batch_worker_refuses_a_path_changed_behind_the_apps_back(allow_only: Path) -> None:
    from tests.jobsapp.batch_jobs import ReportPathBatchJob

    job = ReportPathBatchJob.create_from_upload(["a", "b"], report_path=str(allow_only / "r"))
    ReportPathBatchJob._get_collection().update_one(
        {"_id": job.pk}, {"$set": {"report_path": str(allow_only.parent / "shadow")}}
    )
    work_next()
    job.reload()
    assert job.state == "failed"
    assert "outside the allowed paths" in job.exception.message


# -- properties cannot get around the allow-list or a field's permission ------------------
def test_properties_cannot_set_a_field_that_needs_a_permission(allow_only: Path) -> None:
    from tests.jobsapp.batch_jobs import ReportPathBatchJob

    rows = allow_only / "rows.txt"
    rows.write_text("a\n")
    with pytest.raises(JobValidationError, match=r"\['keep_days'\] need a permission"):
        UploadFileJob.create(
            job_class_name="ReportPathBatchJob",
            properties={"keep_days": 1},
            upload_file_name=str(rows),
        )
    upload = UploadFileJob.create(job_class_name="ReportPathBatchJob", upload_file_name=str(rows))
    with pytest.raises(JobValidationError, match="need a permission"):
        upload.set_fields(properties={"keep_days": 1})
    UploadFileJob._get_collection().update_one(
        {"_id": upload.pk}, {"$set": {"properties": {"keep_days": 1}}}
    )
    work_next()
    upload.reload()
    assert upload.state == "failed" and "need a permission" in upload.exception.message
    assert ReportPathBatchJob.objects.count() == 0


def test_a_property_naming_a_path_outside_the_allow_list_is_refused(allow_only: Path) -> None:
    rows = allow_only / "rows.txt"
    rows.write_text("a\n")
    secret = str(allow_only.parent / "shadow")
    with pytest.raises(JobValidationError, match=r"property report_path .* outside the allowed"):
        UploadFileJob.create(
            job_class_name="ReportPathBatchJob",
            properties={"report_path": secret},
            upload_file_name=str(rows),
        )
    upload = UploadFileJob.create(
        job_class_name="ReportPathBatchJob",
        properties={"report_path": str(allow_only / "report.txt")},
        upload_file_name=str(rows),
    )
    with pytest.raises(JobValidationError, match="outside the allowed paths"):
        upload.set_fields(properties={"report_path": secret})
    assert UploadFileJob._get_collection().find_one({"_id": upload.pk})["properties"] == {
        "report_path": str(allow_only / "report.txt")
    }
