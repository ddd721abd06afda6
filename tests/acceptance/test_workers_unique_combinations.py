"""Unique with Cron and with Retry, run by real worker processes (the combinations a user
writes: a scheduled job per account, a retried job while someone enqueues it again)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rocketjob import DuplicateJobError
from rocketjob.job import Job
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.behaviour_jobs import UniqueCronRunJob, UniqueRetryRunJob, effects

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


def _live(account: str) -> int:
    states = {"$in": ["queued", "running", "paused"]}
    return UniqueRetryRunJob.objects(account=account, state=states).count()


def test_a_retried_unique_job_keeps_its_key_against_duplicate_creates(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    job = UniqueRetryRunJob.create(account="acme", fail_times=2)
    refused = created = late = 0
    most_live = 0
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "2", "--name", "ur"], env, tmp_path / "w.log") as worker:
        # Someone keeps enqueueing the same account while the job fails and is retried.
        def settled() -> bool:  # completed, or failed for good and its duplicate completed
            if Job.load(job.pk).state == "completed":
                return True
            done = UniqueRetryRunJob.objects(account="acme", state="completed").count()
            return created > 0 and done > 0

        deadline = time.monotonic() + 60
        while not settled() and time.monotonic() < deadline:
            try:
                UniqueRetryRunJob.create(account="acme", fail_times=0)
            except DuplicateJobError:
                refused += 1
            else:
                # A create that got in either landed in the fail-to-retry instant (the original
                # then stays failed for good) or came after the key's holder had completed
                # (settled() was read just before it completed): a new job of its own.
                if created == 0 and Job.load(job.pk).state != "completed":
                    created += 1
                else:
                    late += 1
            most_live = max(most_live, _live("acme"))
            time.sleep(0.05)
        wait_for(lambda: _live("acme") == 0, timeout=30)
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    assert most_live == 1  # never two live jobs for one key
    assert refused > 0
    # Waiting for its retry the job is queued and holds the key: duplicates are refused. Only
    # a create landing in the instant between the fail and the re-queue gets in; the retry
    # is then refused (logged) and that duplicate does the work: never both, never neither.
    retry_refused = worker.output().count("automatic retry not applied")
    assert created == retry_refused <= 1
    stored = Job.load(job.pk)
    assert stored.state == ("completed" if created == 0 else "failed")
    assert UniqueRetryRunJob.objects(account="acme", state="completed").count() == 1 + late
    assert late <= 1  # the loop stops once the work for the key has completed
    if created == 0:  # the usual run: failed twice, retried twice, completed on the third
        assert stored.failure_count == 2 and len(stored.failed_at_list) == 2
        assert effects("unique_retry", job.pk) == 3
