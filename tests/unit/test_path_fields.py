"""Path fields are found once per class: a subclass's own path fields are not hidden by its
base class having been asked first (the per-class cache lives in each class's __dict__)."""

from __future__ import annotations

from rocketjob.job import Job
from rocketjob.jobs.upload_file import UploadFileJob
from tests.jobsapp.batch_jobs import ReportPathBatchJob
from tests.jobsapp.runtime_jobs import RuntimeJob


def test_each_class_lists_its_own_path_fields_whichever_is_asked_first() -> None:
    assert Job.allowed_path_fields() == []
    assert RuntimeJob.allowed_path_fields() == []
    assert ReportPathBatchJob.allowed_path_fields() == ["report_path"]
    assert UploadFileJob.allowed_path_fields() == ["upload_file_name"]
    # Asked again (now from the cache), and the list handed out is the caller's to change.
    listed = ReportPathBatchJob.allowed_path_fields()
    listed.append("spoiled")
    assert ReportPathBatchJob.allowed_path_fields() == ["report_path"]
    assert Job.allowed_path_fields() == []
