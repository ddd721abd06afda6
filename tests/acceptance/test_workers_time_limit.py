"""``time_limit`` with real worker processes: the job fails with TimeLimitExceeded, Retry
applies, and a thread stuck in C code is abandoned while its slot gets a new thread."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.connection import jobs_db
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions, performs
from tests.jobsapp.jobs import NoopJob
from tests.jobsapp.runtime_jobs import PERFORM_ENDS, RuntimeJob, TimeLimitJob, TimeLimitRetryJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

ARGS = ["--workers", "1", "--name", "tl"]


def _state(job_id: object) -> str:
    raw = jobs_db()["rocketjob_jobs"].find_one({"_id": job_id}, {"state": 1})
    assert raw is not None
    return str(raw["state"])


def _ends(job_id: object) -> int:
    return jobs_db()[PERFORM_ENDS].count_documents({"job_id": str(job_id)})


def test_past_its_limit_a_job_fails_and_the_worker_goes_on(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(ARGS, env, tmp_path / "w.log") as server:
        by_class = TimeLimitJob.create(sleep_seconds=60)  # class default: 1 s
        per_job = RuntimeJob.create(sleep_seconds=60, time_limit=1.5)  # no class default
        within = TimeLimitJob.create(sleep_seconds=0.2)
        began = time.monotonic()
        for job in (by_class, per_job):
            wait_for(lambda job=job: _state(job.pk) == "failed", 30)
        assert time.monotonic() - began < 15  # not the 120 s the jobs would have run
        wait_for(lambda: _state(within.pk) == "completed", 30)
        by_class.reload()
        per_job.reload()
        assert by_class.exception.class_name == "rocketjob.exceptions.TimeLimitExceeded"
        assert "ran past its time limit of 1.0 s" in by_class.exception.message
        assert "ran past its time limit of 1.5 s" in per_job.exception.message
        assert (performs(by_class.pk), completions(by_class.pk), _ends(by_class.pk)) == (1, 0, 0)
        assert by_class.duration_seconds() < 10
        # The single worker thread is the same one, still claiming.
        after = NoopJob.create()
        wait_for(lambda: _state(after.pk) == "completed", 30)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
    assert "replacing" not in server.output()


def test_retry_applies_to_a_time_limit_failure(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(ARGS, env, tmp_path / "w.log") as server:
        job = TimeLimitRetryJob.create(sleep_seconds=60)
        wait_for(lambda: TimeLimitRetryJob.objects.get(pk=job.pk).failure_count == 1, 30)
        job.reload()
        assert job.state == "queued"  # re-queued by Retry, after 6 s
        assert job.exception is None and len(job.failed_at_list) == 1
        server.signal(signal.SIGTERM)
        assert server.wait() == 0


def test_a_thread_blocked_in_c_code_is_abandoned_and_replaced(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = {**rocketjob_db.subprocess_env(), "ROCKETJOB_TIME_LIMIT_GRACE_SECONDS": "1"}
    with workers(ARGS, env, tmp_path / "w.log") as server:
        stuck = TimeLimitJob.create(sleep_seconds=12, blocked=True)
        wait_for(lambda: _state(stuck.pk) == "failed", 30)
        stuck.reload()
        assert "its worker thread was abandoned" in stuck.exception.message
        # --workers 1: only a replacement thread can run this while the old one sleeps.
        during = NoopJob.create()
        wait_for(lambda: _state(during.pk) == "completed", 30)
        assert performs(stuck.pk) == 1 and _ends(stuck.pk) == 0
        # The old thread wakes (sleep returns), sees the exception and records nothing.
        wait_for(lambda: "thread was abandoned: not recorded" in server.output(), 30)
        stuck.reload()
        assert stuck.state == "failed" and stuck.failure_count == 1
        assert (completions(stuck.pk), _ends(stuck.pk)) == (0, 0)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
    assert "replacing abandoned worker thread" in server.output()
