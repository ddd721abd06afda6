"""A throttle that raises fails its job; the worker goes on with the next one."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rocketjob.job import Job
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions
from tests.jobsapp.behaviour_jobs import RaisingThrottleJob, RefusedQueryThrottleJob, effects
from tests.jobsapp.runtime_jobs import RuntimeJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def run_until_failed(
    job_class: Any, name: str, rocketjob_db: TestDatabase, tmp_path: Path
) -> tuple[Any, str]:
    """One worker process with a job of ``job_class`` and a plain job behind it: the first
    must fail, the second complete on the same worker. Returns the failed job and the log."""
    throttled = job_class.create()
    plain = RuntimeJob.create()
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", name], env, tmp_path / "w.log") as worker:
        wait_for(lambda: Job.load(throttled.pk).state == "failed", timeout=30)
        wait_for(lambda: Job.load(plain.pk).state == "completed", timeout=30)
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    failed = Job.load(throttled.pk)
    assert failed.exception.worker_name == f"{name}:0"
    assert effects("throttled_perform", throttled.pk) == 0  # perform never ran
    completed = Job.load(plain.pk)
    assert completed.worker_name == f"{name}:0"  # the same (only) worker went on
    assert completions(plain.pk) == 1
    assert "worker thread crashed" not in worker.output()
    return failed, worker.output()


def test_a_raising_throttle_fails_the_job(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    failed, output = run_until_failed(RaisingThrottleJob, "acc-thr", rocketjob_db, tmp_path)
    assert failed.exception.class_name == "ConnectionError"
    assert failed.exception.message == "quota service unreachable"
    assert "throttle raised ConnectionError; failing the job" in output


def test_a_throttle_whose_query_the_database_refuses_fails_the_job(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    """OperationFailure is the database answering "no", not an outage: before, the worker
    treated it as one, so the job was claimed, re-queued as a lost claim and claimed again."""
    failed, output = run_until_failed(RefusedQueryThrottleJob, "acc-thq", rocketjob_db, tmp_path)
    assert failed.exception.class_name == "pymongo.errors.OperationFailure"
    assert "throttle raised OperationFailure; failing the job" in output
    assert "lost claim" not in output
