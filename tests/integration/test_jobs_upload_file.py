"""UploadFileJob: creates batch jobs by uploading, and non-batch jobs with the file name."""

from __future__ import annotations

from pathlib import Path

from bson import ObjectId

from rocketjob.connection import slices_db
from rocketjob.jobs import UploadFileJob
from tests.jobsapp.batch_jobs import CsvBatchJob, EchoBatchJob
from tests.jobsapp.plugin_jobs import FileNoteJob, work_next


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


def test_properties_must_be_user_editable() -> None:
    upload = UploadFileJob.create(
        job_class_name="EchoBatchJob", properties={"record_count": 5}, upload_file_name="/x"
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
