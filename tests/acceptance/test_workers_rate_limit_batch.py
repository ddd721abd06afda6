"""rate_limit on a batch job, with real worker processes: the limit counts job *starts*;
workers joining the running job to take its slices are not starts and are not limited."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.connection import jobs_db
from rocketjob.plugins.job.rate_limit import RATE_LIMITS_COLLECTION
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.batch_jobs import RateLimitedBatchJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _state(job_id: object) -> str:
    raw = jobs_db()["rocketjob_jobs"].find_one({"_id": job_id}, {"state": 1})
    assert raw is not None
    return str(raw["state"])


def _held_back(job_id: object) -> bool:
    held = RateLimitedBatchJob.objects.get(pk=job_id)
    return (held.state, held.throttled_by) == ("queued", "rate_limit")


def test_a_rate_limit_counts_batch_starts_not_slice_joins(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    first = RateLimitedBatchJob.create_from_upload([str(i) for i in range(24)])
    env = {**rocketjob_db.subprocess_env(), "ROCKETJOB_RE_CHECK_SECONDS": "1"}
    with workers(["--workers", "3", "--name", "rb"], env, tmp_path / "w.log") as server:
        wait_for(lambda: _state(first.pk) == "running", 60)
        second = RateLimitedBatchJob.create_from_upload([str(i) for i in range(4)])
        wait_for(lambda: _state(first.pk) == "completed", 60)
        records = list(jobs_db()["rate_batch_records"].find({"job_id": str(first.pk)}))
        assert len(records) == 24
        assert len({r["worker"] for r in records}) == 3  # all three joined: joins not limited
        # The one start of this hour's window is used: the second job is held back. Each
        # worker claims it once and releases it (the window is full), so it is briefly
        # running while a worker checks; it never performs a record.
        wait_for(lambda: _held_back(second.pk), 10)
        time.sleep(2)  # the other workers try it meanwhile and find the window full too
        assert jobs_db()["rate_batch_records"].count_documents({"job_id": str(second.pk)}) == 0
        windows = list(jobs_db()[RATE_LIMITS_COLLECTION].find())
        assert [window["count"] for window in windows] == [1]
        wait_for(lambda: _held_back(second.pk), 10)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
