"""A job that goes back to the queue starts its progress again from zero."""

from __future__ import annotations

from rocketjob.job import Job
from rocketjob.runtime.claim import requeue_dead_server
from tests.integration.batch_support import job_state, work_until
from tests.jobsapp.batch_jobs import FailingRecordJob
from tests.jobsapp.behaviour_jobs import ProgressJob
from tests.jobsapp.plugin_jobs import work_next
from tests.jobsapp.runtime_jobs import RuntimeJob


def test_retry_resets_the_progress_of_a_failed_job() -> None:
    job = ProgressJob.create()
    work_next()
    job.reload()
    assert (job.state, job.percent_complete) == ("failed", 60)
    job.retry()
    assert Job.load(job.pk).percent_complete == 0
    assert job.percent_complete == 0


def test_requeue_of_a_dead_servers_job_resets_its_progress() -> None:
    job = RuntimeJob.create()
    job.start(worker_name="gone-host:7:0")
    job.set_fields(percent_complete=45)
    assert requeue_dead_server(Job, "gone-host:7") == 1
    stored = Job.load(job.pk)
    assert (stored.state, stored.percent_complete) == ("queued", 0)


def test_a_retried_batch_job_keeps_the_progress_of_its_completed_slices() -> None:
    job = FailingRecordJob.create_from_upload(list(range(1, 21)), fail_on=[18])
    work_until(lambda: job_state(job) == "failed")
    job.set_fields(percent_complete=99)  # whatever was stored last
    job.retry()
    assert Job.load(job.pk).percent_complete == 75  # 3 of 4 slices are done
