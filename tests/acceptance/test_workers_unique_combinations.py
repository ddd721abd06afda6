"""Unique with Cron and with Retry, run by real worker processes (the combinations a user
writes: a scheduled job per account, a retried job while someone enqueues it again)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rocketjob import DuplicateJobError
from rocketjob.job import Job
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.behaviour_jobs import UniqueCronRunJob, effects

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _scheduled(account: str) -> UniqueCronRunJob | None:
    return UniqueCronRunJob.objects(state="queued", account=account).first()


def test_unique_cron_schedules_its_next_run_while_the_current_holds_the_key(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    first = UniqueCronRunJob.create(account="acme", sleep_seconds=3.0)
    other = UniqueCronRunJob.create(account="globex")  # another key: its own schedule
    first.run_now()
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "2", "--name", "uc"], env, tmp_path / "w.log") as worker:
        wait_for(lambda: Job.load(first.pk).state == "running", timeout=60)
        following = wait_for(lambda: _scheduled("acme"), timeout=30)
        assert following.pk != first.pk and following.cron_schedule == "0 4 * * *"
        # While the current run holds the key, a duplicate is refused.
        with pytest.raises(DuplicateJobError):
            UniqueCronRunJob.create(account="acme", cron_schedule="")
        wait_for(lambda: Job.load(first.pk).state == "completed", timeout=60)
        following.run_now()
        wait_for(lambda: Job.load(following.pk).state == "completed", timeout=60)
        third = wait_for(lambda: _scheduled("acme"), timeout=30)
        assert third.pk not in (first.pk, following.pk)
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    assert (effects("unique_cron", first.pk), effects("unique_cron", following.pk)) == (1, 1)
    assert Job.load(other.pk).state == "queued"
    assert "next cron instance not created" not in worker.output()
