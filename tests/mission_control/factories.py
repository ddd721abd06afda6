"""Jobs in every state, created the way workers and users create them (through events)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rocketjob.plugins.job.model import utc_now
from tests.claiming import next_claimed_job
from tests.jobsapp.jobs import FailingJob, NoopJob


def queued(**fields: Any) -> Any:
    return NoopJob.create(**fields)


def scheduled(**fields: Any) -> Any:
    return NoopJob.create(run_at=utc_now() + timedelta(hours=2), **fields)


def running(**fields: Any) -> Any:
    job = NoopJob.create(**fields)
    job.start("host:1:0")
    return job


def failed(message: str = "boom", **fields: Any) -> Any:
    job = FailingJob.create(message=message, **fields)
    job.start("host:1:0")
    try:
        job.perform()
    except ValueError as exc:
        job.fail(exc, worker_name="host:1:0")
    return job


def completed(**fields: Any) -> Any:
    job = NoopJob.create(**fields)
    job.start("host:1:0")
    job.complete()
    return job


def paused(**fields: Any) -> Any:
    job = NoopJob.create(**fields)
    job.pause()
    return job


def aborted(**fields: Any) -> Any:
    job = NoopJob.create(**fields)
    job.abort()
    return job


def unloadable(state: str = "failed", **fields: Any) -> Any:
    """A job whose class this process does not know (e.g. from a newer deployment)."""
    from rocketjob.job import Job

    doc = {"_cls": "Job.GoneAwayJob", "state": state, "priority": 50, "created_at": utc_now()}
    doc.update(fields)
    return Job._get_collection().insert_one(doc).inserted_id


def failed_batch(records: list[str], **fields: Any) -> Any:
    """A RecordCheckBatchJob worked in-process until its bad records' slices failed."""
    from rocketjob.runtime.claim_filter import ClaimFilter
    from tests.jobsapp.mission_control_jobs import RecordCheckBatchJob

    job = RecordCheckBatchJob.create_from_upload(records, **fields)
    claimed = next_claimed_job(RecordCheckBatchJob, "host:1:0", ClaimFilter())
    assert claimed is not None and claimed.pk == job.pk
    claimed.rocketjob_work("host:1:0", lambda: False)
    job.reload()
    return job


def failed_batch_work(job: Any) -> Any:
    """Work a (retried) batch job in-process until it stops running; returns it reloaded."""
    from rocketjob.runtime.claim_filter import ClaimFilter

    claimed = next_claimed_job(type(job), "host:1:0", ClaimFilter())
    assert claimed is not None and claimed.pk == job.pk
    claimed.rocketjob_work("host:1:0", lambda: False)
    job.reload()
    return job
