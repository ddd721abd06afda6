"""A throttle that raises fails its job; the worker goes on with the next one."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.job import Job
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions
from tests.jobsapp.behaviour_jobs import RaisingThrottleJob, effects
from tests.jobsapp.runtime_jobs import RuntimeJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def test_a_raising_throttle_fails_the_job(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    throttled = RaisingThrottleJob.create()
    plain = RuntimeJob.create()
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", "acc-thr"], env, tmp_path / "w.log") as worker:
        wait_for(lambda: Job.load(throttled.pk).state == "failed", timeout=30)
        wait_for(lambda: Job.load(plain.pk).state == "completed", timeout=30)
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    failed = Job.load(throttled.pk)
    assert failed.exception.class_name == "ConnectionError"
    assert failed.exception.message == "quota service unreachable"
    assert failed.exception.worker_name == "acc-thr:0"
    assert effects("throttled_perform", throttled.pk) == 0  # perform never ran
    completed = Job.load(plain.pk)
    assert completed.worker_name == "acc-thr:0"  # the same (only) worker went on
    assert completions(plain.pk) == 1
    assert "worker thread crashed" not in worker.output()
    assert "throttle raised ConnectionError; failing the job" in worker.output()
