"""Cron + Singleton (the combination docs/plugins.md shows) keeps its schedule in a worker."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.job import Job
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.behaviour_jobs import CronSingletonRunJob, effects

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _scheduled() -> CronSingletonRunJob | None:
    return CronSingletonRunJob.objects(state="queued").first()


def test_every_run_schedules_the_next(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    first = CronSingletonRunJob.create()
    first_time = first.run_at
    first.run_now()
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "2", "--name", "acc-cron"], env, tmp_path / "w.log") as worker:
        wait_for(lambda: Job.load(first.pk).state == "completed", timeout=60)
        second = wait_for(_scheduled, timeout=30)
        assert second.pk != first.pk
        assert second.cron_schedule == "0 3 * * *"
        assert second.run_at == first_time  # the next 03:00 UTC
        second.run_now()
        wait_for(lambda: Job.load(second.pk).state == "completed", timeout=60)
        third = wait_for(_scheduled, timeout=30)
        assert third.pk not in (first.pk, second.pk)
        assert third.run_at == first_time
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    assert (effects("cron_singleton", first.pk), effects("cron_singleton", second.pk)) == (1, 1)
    assert CronSingletonRunJob.objects(state="queued").count() == 1
    assert "next cron instance not created" not in worker.output()
