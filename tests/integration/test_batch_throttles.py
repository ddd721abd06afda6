"""Batch throttles on the real server: ThrottleWindows, @batch_throttle and
define_batch_throttle, job throttles checked at join, and LowerPriority."""

from __future__ import annotations

import pytest

from rocketjob import Job, JobValidationError
from rocketjob.runtime.claim import next_job
from rocketjob.runtime.claim_filter import ClaimFilter
from tests.integration.batch_support import work_until
from tests.jobsapp.batch_jobs import (
    BigBatchJob,
    GatedBatchJob,
    LegacyGatedBatchJob,
    WindowedBatchJob,
)
from tests.jobsapp.jobs import NoopJob

CLOSED = {"primary_schedule": "0 0 1 1 *", "primary_duration": 60}  # one minute a year
OPEN = {"primary_schedule": "* * * * *", "primary_duration": 3600}  # always


def _records(count: int) -> list[str]:
    return [str(i) for i in range(count)]


def _queued_slices(job: Job) -> int:
    return job.input().count_in(("queued",))  # type: ignore[attr-defined]


def _start(job: Job) -> None:
    """One worker claims the queued job: before_batch runs and its slices open."""
    claimed = next_job(Job, "host:1:0", ClaimFilter())
    assert claimed is not None and claimed.job.pk == job.pk
    claimed.work("host:1:0", lambda: True)  # the worker leaves before taking a slice


def test_outside_its_windows_a_batch_job_starts_but_takes_no_slice() -> None:
    job = WindowedBatchJob.create_from_upload(_records(20), **CLOSED)
    _start(job)
    job.reload()
    assert (job.state, job.sub_state, job.throttled_by) == (
        "running",
        "processing",
        "throttle_windows_closed",
    )
    assert _queued_slices(job) == 4
    assert next_job(Job, "host:1:1", ClaimFilter()) is None  # no worker joins it either
    job.set_fields(**OPEN)  # e.g. edited in Mission Control
    work_until(lambda: WindowedBatchJob.objects.get(pk=job.pk).state == "completed", workers=2)
    job.reload()
    assert job.throttled_by is None


def test_a_secondary_window_opens_it_too() -> None:
    job = WindowedBatchJob.create_from_upload(
        _records(10),
        **CLOSED,
        secondary_schedule="* * * * *",
        secondary_duration=3600,
    )
    assert job.throttle_windows_open()
    work_until(lambda: WindowedBatchJob.objects.get(pk=job.pk).state == "completed")


@pytest.mark.parametrize(
    "fields",
    [
        {"primary_schedule": "every day", "primary_duration": 60},
        {"primary_schedule": "0 0 * * *"},  # no duration
    ],
)
def test_bad_windows_are_refused_on_save(fields: dict) -> None:
    with pytest.raises(JobValidationError):
        WindowedBatchJob.create(**fields)
    assert WindowedBatchJob.objects.count() == 0


@pytest.mark.parametrize(
    ("klass", "closing", "reason"),
    [
        (GatedBatchJob, {"gate_closed": True}, "gate_is_closed"),
        (GatedBatchJob, {"api_down": True}, "api_is_down"),  # a job @throttle, at join
        (LegacyGatedBatchJob, {"legacy_closed": True}, "legacy_gate"),  # define_batch_throttle
        (LegacyGatedBatchJob, {"legacy_broken": True}, "legacy_gate"),  # raises: holds
    ],
)
def test_a_throttle_that_holds_keeps_workers_from_joining(klass, closing, reason) -> None:  # type: ignore[no-untyped-def]
    job = klass.create_from_upload(_records(20))
    claimed = next_job(Job, "host:1:0", ClaimFilter())
    assert claimed is not None
    claimed.work("host:1:0", lambda: True)  # before_batch, then its worker leaves at once
    # Closed while it runs (as an operator would do in Mission Control).
    job.set_fields(**closing)
    joiner = ClaimFilter()
    assert next_job(Job, "host:1:1", joiner) is None
    assert job.pk in joiner.excluded["_id"]  # skipped until the worker's next re-check
    job.reload()
    assert (job.sub_state, job.throttled_by) == ("processing", reason)
    assert _queued_slices(job) == 4
    job.set_fields(**dict.fromkeys(closing, False))
    work_until(lambda: klass.objects.get(pk=job.pk).state == "completed", workers=2)


def test_the_running_jobs_cap_does_not_stop_workers_joining() -> None:
    job = GatedBatchJob.create_from_upload(_records(40))  # throttle_running_jobs = 1
    started = next_job(Job, "host:1:0", ClaimFilter())
    assert started is not None
    started.work("host:1:0", lambda: True)  # before_batch; slices open
    joined = next_job(Job, "host:1:1", ClaimFilter())
    assert joined is not None and joined.joined and joined.job.pk == job.pk


def test_lower_priority_lowers_a_big_job_and_lets_small_jobs_through() -> None:
    big = BigBatchJob.create_from_upload(_records(45), priority=50)  # 4 steps of 10
    _start(big)
    big.reload()
    assert big.priority == 54
    # A small job queued after it, at a priority between the old and the new, runs first.
    small = NoopJob.create(priority=52)
    claimed = next_job(Job, "host:1:1", ClaimFilter())
    assert claimed is not None and claimed.job.pk == small.pk


def test_lower_priority_stops_at_the_lowest_priority() -> None:
    capped = BigBatchJob.create_from_upload(_records(2000), priority=90)  # 200 steps
    _start(capped)
    capped.reload()
    assert capped.priority == 100
