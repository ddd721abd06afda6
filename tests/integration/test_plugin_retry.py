"""Retry on the real server: automatic re-queue with delay, limit, expiry."""

from __future__ import annotations

from datetime import timedelta

from rocketjob.plugins.job.model import utc_now
from tests.claiming import next_claimed_job
from tests.jobsapp.plugin_jobs import RetryFailingJob, work_next


def test_failure_requeues_with_the_delay_and_records_the_failure() -> None:
    job = RetryFailingJob.create()
    before = utc_now()
    assert work_next() is not None
    job.reload()
    assert job.state == "queued"
    assert job.failure_count == 1
    assert len(job.failed_at_list) == 1
    assert before <= job.failed_at_list[0] <= utc_now()
    assert before + timedelta(seconds=6) <= job.run_at <= utc_now() + timedelta(seconds=6)
    assert job.is_scheduled()
    assert work_next() is None  # not due yet


def test_retries_until_the_limit_then_stays_failed() -> None:
    job = RetryFailingJob.create()  # retry_limit = 3
    delays = []
    for _ in range(3):
        job.reload()
        job.run_now()
        started = utc_now()
        assert work_next() is not None
        job.reload()
        if job.state == "queued":
            delays.append(round((job.run_at - started).total_seconds()))
    assert job.state == "failed"
    assert job.failure_count == 3
    assert len(job.failed_at_list) == 3
    assert job.exception.class_name == "ConnectionError"
    assert [abs(d - expected) <= 1 for d, expected in zip(delays, (6, 21), strict=True)] == [
        True,
        True,
    ]


def test_expired_job_is_not_retried() -> None:
    job = RetryFailingJob.create(expires_at=utc_now() + timedelta(hours=1))
    job.expires_at = utc_now() - timedelta(seconds=1)
    job.fail(RuntimeError("failed after expiry"))
    job.reload()
    assert job.state == "failed"
    assert job.failure_count == 1


def test_zero_limit_never_retries() -> None:
    job = RetryFailingJob.create(retry_limit=0)
    assert work_next() is not None
    job.reload()
    assert job.state == "failed"
    assert len(job.failed_at_list) == 1


def test_retry_that_loses_a_race_leaves_the_job_as_the_other_process_set_it() -> None:
    job = RetryFailingJob.create()
    claimed = next_claimed_job(RetryFailingJob, "host:1:0", _filter())
    assert claimed is not None
    # Someone aborts the job while the worker is failing it: the fail itself conflicts.
    RetryFailingJob.objects(pk=job.pk).update(set__state="aborted")
    claimed.rocketjob_fail_safely(RuntimeError("boom"), "host:1:0")
    job.reload()
    assert job.state == "aborted"


def _filter():  # type: ignore[no-untyped-def]
    from rocketjob import ClaimFilter

    return ClaimFilter()


def test_only_the_listed_exceptions_are_retried() -> None:
    from tests.jobsapp.plugin_jobs import RetrySelectiveJob

    retried = RetrySelectiveJob.create(raise_as="ConnectionResetError")
    refused = RetrySelectiveJob.create(raise_as="ConnectionRefusedError")
    other = RetrySelectiveJob.create(raise_as="ValueError")
    for _ in range(3):
        assert work_next() is not None
    for job in (retried, refused, other):
        job.reload()
    assert retried.state == "queued"
    assert retried.failure_count == 1
    delay = (retried.run_at - retried.failed_at_list[0]).total_seconds()
    assert 5.9 <= delay <= 9.1  # 6 s plus up to 50 % jitter
    assert (refused.state, refused.exception.class_name) == ("failed", "ConnectionRefusedError")
    assert (other.state, other.exception.class_name) == ("failed", "ValueError")


def test_a_job_failed_by_an_operator_stays_failed() -> None:
    job = RetryFailingJob.create()
    job.fail()  # Mission Control's Fail button: no exception
    job.reload()
    assert job.state == "failed"
    assert job.failure_count == 1
