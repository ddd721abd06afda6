"""Cron + Singleton: the next run is scheduled while the current one runs, and waits for it."""

from __future__ import annotations

import pytest

from rocketjob import ClaimFilter, DuplicateJobError
from rocketjob.job import Job
from rocketjob.runtime.claim import next_job, requeue_dead_server
from tests.jobsapp.behaviour_jobs import CronSingletonRunJob, effects


def _claim(worker_name: str) -> Job | None:
    claimed = next_job(Job, worker_name, ClaimFilter())
    return None if claimed is None else claimed.job


def test_the_next_run_waits_while_the_current_one_runs() -> None:
    first = CronSingletonRunJob.create()
    first.run_now()
    current = _claim("host:1:0")
    assert current is not None and current.pk == first.pk
    current.rocketjob_start_claimed()  # schedules the next instance, as a worker does
    following = CronSingletonRunJob.objects(state="queued").get()
    # Still a singleton: no other instance may be created while these two exist.
    with pytest.raises(DuplicateJobError, match="singleton"):
        CronSingletonRunJob.create(cron_schedule="30 4 * * *")
    following.run_now()
    assert _claim("host:1:1") is None  # due, but the current run holds the singleton
    following.reload()
    assert (following.state, following.throttled_by) == ("queued", "singleton_running")
    current.rocketjob_work("host:1:0")
    assert Job.load(first.pk).state == "completed"
    claimed = _claim("host:1:1")
    assert claimed is not None and claimed.pk == following.pk
    claimed.rocketjob_work("host:1:1")
    assert Job.load(following.pk).state == "completed"
    assert effects("cron_singleton") == 2
    assert CronSingletonRunJob.objects(state="queued").count() == 1


def test_a_requeued_run_keeps_the_singleton_and_the_scheduled_one_waits() -> None:
    first = CronSingletonRunJob.create()
    first.run_now()
    current = _claim("lost-host:1:0")
    assert current is not None
    current.rocketjob_start_claimed()
    assert requeue_dead_server(Job, "lost-host:1") == 1
    following = CronSingletonRunJob.objects(cron_schedule="0 3 * * *").get()
    following.run_now()
    claimed = _claim("host:2:0")
    assert claimed is not None and claimed.pk == first.pk  # the re-queued run goes first
    assert _claim("host:2:1") is None
    claimed.rocketjob_work("host:2:0")
    again = _claim("host:2:1")
    assert again is not None and again.pk == following.pk
