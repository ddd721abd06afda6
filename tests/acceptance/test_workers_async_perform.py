"""``async def perform`` run by a real worker: awaited, its exceptions fail the job."""

from __future__ import annotations

import io
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.job import Job
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.behaviour_jobs import AsyncBatchJob, AsyncFailingJob, AsyncRecordJob, effects

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _finished(job: Job) -> bool:
    return Job.load(job.pk).state in ("completed", "failed")


def test_a_worker_awaits_async_perform(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    plain = AsyncRecordJob.create(label="awaited")
    failing = AsyncFailingJob.create()
    batch = AsyncBatchJob.create_from_upload(["a", "b", "c"])
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", "acc-async"], env, tmp_path / "w.log") as worker:
        wait_for(lambda: all(_finished(j) for j in (plain, failing, batch)), timeout=60)
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    assert Job.load(plain.pk).state == "completed"
    assert effects("async", plain.pk) == 1
    failed = Job.load(failing.pk)
    assert failed.state == "failed"
    assert failed.exception.class_name == "ValueError"
    assert failed.exception.message == "async perform failed on purpose"
    assert Job.load(batch.pk).state == "completed"
    out = io.StringIO()
    assert Job.load(batch.pk).download(out) == 3
    assert out.getvalue().splitlines() == ["A", "B", "C"]
    assert "never awaited" not in worker.output()
