"""ProcessingWindow on the real server, with windows placed relative to the current time."""

from __future__ import annotations

from datetime import timedelta

from rocketjob import ClaimFilter, Job
from rocketjob.plugins.job.model import utc_now
from rocketjob.plugins.schedule import CronSchedule
from tests.claiming import next_claimed_job
from tests.jobsapp.plugin_jobs import WindowJob, work_next


def _open_now() -> str:
    now = utc_now()
    return f"{now.minute} {now.hour} * * *"  # opened this minute, open for the duration


def _far_away() -> str:
    now = utc_now()
    return f"{now.minute} {(now.hour + 12) % 24} * * *"  # opens in 12 hours


def test_created_inside_the_window_runs_now() -> None:
    job = WindowJob.create(processing_schedule=_open_now(), processing_duration=7200)
    assert job.run_at is None
    assert work_next() is not None
    job.reload()
    assert job.state == "completed"


def test_created_outside_the_window_waits_for_the_next_one() -> None:
    schedule = _far_away()
    job = WindowJob.create(processing_schedule=schedule, processing_duration=60)
    assert job.run_at == CronSchedule.parse(schedule).next_time()
    assert job.is_scheduled()
    assert work_next() is None


def test_job_started_after_its_window_closed_is_requeued_for_the_next_window() -> None:
    job = WindowJob.create(processing_schedule=_open_now(), processing_duration=7200)
    # It waited in the queue until the window closed: now the window is 12 hours away.
    later = _far_away()
    WindowJob.objects(pk=job.pk).update(set__processing_schedule=later)
    claim_filter = ClaimFilter()
    assert next_claimed_job(Job, "host:1:0", claim_filter) is None
    job.reload()
    assert job.state == "queued"
    assert job.throttled_by == "processing_window_closed"
    assert job.worker_name is None
    assert job.run_at == CronSchedule.parse(later).next_time()
    assert job.run_at > utc_now() + timedelta(hours=11)


def test_retry_outside_the_window_moves_run_at() -> None:
    job = WindowJob.create(processing_schedule=_open_now(), processing_duration=7200)
    job.fail(RuntimeError("failed inside the window"))
    later = _far_away()
    job.processing_schedule = later
    job.save()
    job.retry()
    job.reload()
    assert job.state == "queued"
    assert job.run_at == CronSchedule.parse(later).next_time()


def test_invalid_window_schedule_is_refused() -> None:
    import pytest

    from rocketjob import JobValidationError

    with pytest.raises(JobValidationError, match="'whenever'"):
        WindowJob.create(processing_schedule="whenever")
