"""Retry delay and limit, and the processing-window arithmetic (no database writes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.jobsapp.plugin_jobs import RetryFailingJob, WindowJob


@pytest.mark.parametrize(("failures", "delay"), [(1, 6), (2, 21), (3, 86), (4, 261), (10, 10005)])
def test_delay_is_failures_to_the_fourth_plus_five(failures: int, delay: int) -> None:
    job = RetryFailingJob.build(failure_count=failures)
    assert job.rocketjob_retry_delay_seconds() == delay


def test_limit_reached_when_failures_reach_retry_limit() -> None:
    def exhausted(failures: int, limit: int) -> bool:
        return RetryFailingJob.build(
            failure_count=failures, retry_limit=limit
        ).rocketjob_retry_exhausted()

    assert exhausted(2, 3) is False
    assert exhausted(3, 3) is True
    assert exhausted(0, 0) is True


def test_default_retry_limit_is_25() -> None:
    from rocketjob import Job, Retry

    class DefaultRetryJob(Retry, Job):
        def perform(self) -> None:
            return None

    assert DefaultRetryJob.build().retry_limit == 25


def test_processing_window_bounds() -> None:
    job = WindowJob.build(processing_schedule="0 22 * * *", processing_duration=3600)
    assert job.processing_window_active(datetime(2026, 1, 10, 22, 0, tzinfo=UTC))
    assert job.processing_window_active(datetime(2026, 1, 10, 22, 59, 59, tzinfo=UTC))
    assert not job.processing_window_active(datetime(2026, 1, 10, 23, 0, tzinfo=UTC))
    assert not job.processing_window_active(datetime(2026, 1, 10, 21, 59, tzinfo=UTC))


def test_jitter_adds_up_to_its_fraction_of_the_delay() -> None:
    from tests.jobsapp.plugin_jobs import RetrySelectiveJob  # retry_jitter = 0.5

    delays = [
        RetrySelectiveJob.build(failure_count=1).rocketjob_retry_delay_seconds() for _ in range(200)
    ]
    assert all(6 <= d <= 9 for d in delays)
    assert len({round(d, 3) for d in delays}) > 100  # spread, not one value
    assert min(delays) < 6.5 and max(delays) > 8.5


@pytest.mark.parametrize(
    ("exception", "wanted"),
    [
        (ConnectionResetError("reset"), True),  # a ConnectionError: in retry_on
        (TimeoutError("slow"), True),
        (ConnectionRefusedError("refused"), False),  # dont_retry_on wins over retry_on
        (ValueError("bad input"), False),  # not in retry_on
        (None, False),  # failed by a user
    ],
)
def test_retry_on_and_dont_retry_on(exception: BaseException | None, wanted: bool) -> None:
    from tests.jobsapp.plugin_jobs import RetrySelectiveJob

    assert RetrySelectiveJob.build().rocketjob_retry_wanted(exception) is wanted


def test_without_lists_every_exception_is_retried() -> None:
    job = RetryFailingJob.build()
    assert job.rocketjob_retry_wanted(ValueError("x")) is True
    assert job.rocketjob_retry_wanted(None) is False
