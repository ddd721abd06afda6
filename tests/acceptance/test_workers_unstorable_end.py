"""A job whose end MongoDB refuses to store fails once; the worker thread goes on.

Before, the completion's OverflowError (a field set to an integer beyond int64) escaped the
worker thread: the supervisor replaced it every second, the job was re-queued as lost and
performed again, forever, and the jobs behind it waited.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.job import Job
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions
from tests.jobsapp.behaviour_jobs import UnstorableResultJob, effects
from tests.jobsapp.runtime_jobs import RuntimeJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def test_a_job_whose_end_cannot_be_stored_fails_once(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    unstorable = UnstorableResultJob.create()
    plain = RuntimeJob.create(priority=60)  # claimed after the unstorable one
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", "acc-uns"], env, tmp_path / "w.log") as worker:
        wait_for(lambda: Job.load(unstorable.pk).state == "failed", timeout=30)
        wait_for(lambda: Job.load(plain.pk).state == "completed", timeout=30)
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    failed = Job.load(unstorable.pk)
    assert failed.exception.class_name == "OverflowError"
    assert failed.exception.worker_name == "acc-uns:0"
    assert failed.answer is None  # what perform set could not be stored, and was not
    assert effects("unstorable_perform", unstorable.pk) == 1  # performed once, not again
    assert completions(plain.pk) == 1
    assert "worker thread crashed" not in worker.output()
