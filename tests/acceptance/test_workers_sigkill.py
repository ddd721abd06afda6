"""No job is lost and none completes twice when a worker process is SIGKILLed mid-job."""

from __future__ import annotations

import signal
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rocketjob.connection import jobs_db
from rocketjob.job import Job
from rocketjob.runtime.server import Server
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.runtime_jobs import COMPLETIONS, PERFORMS, RuntimeJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

JOBS = 24


def _records(collection: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for record in jobs_db()[collection].find():
        found[record["job_id"]].append(record["worker"])
    return found


def _victim_running() -> bool:
    # A string $regex: the embedded server does not evaluate BSON regular expressions.
    query = {"state": "running", "worker_name": {"$regex": "^victim:"}}
    return Job._get_collection().count_documents(query) > 0


@pytest.mark.slow
def test_sigkill_mid_job_loses_nothing_and_completes_each_job_once(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    jobs = [RuntimeJob.create(sleep_seconds=0.6) for _ in range(JOBS)]
    ids = {str(job.pk) for job in jobs}
    with (
        workers(["--workers", "2", "--name", "victim"], env, tmp_path / "victim.log") as victim,
        workers(["--workers", "2", "--name", "survivor"], env, tmp_path / "survivor.log"),
    ):
        # Kill the victim while it is inside perform of at least one job.
        wait_for(
            lambda: _victim_running() and len(_records(PERFORMS)) >= 4,
            timeout=60,
        )
        victim.signal(signal.SIGKILL)
        victim.wait()
        wait_for(lambda: all(Job.load(j.pk).state == "completed" for j in jobs), timeout=120)
        wait_for(lambda: Server.objects(name="victim").count() == 0, timeout=60)
        assert Server.objects(name="survivor").count() == 1

    performed = _records(PERFORMS)
    completed = _records(COMPLETIONS)
    assert set(completed) == ids
    assert Counter(len(workers) for workers in completed.values()) == {1: JOBS}
    redone = {job_id for job_id, by in performed.items() if len(by) > 1}
    # Only the victim's in-flight jobs (at most one per victim worker) ran again, each
    # exactly twice: once on the victim (killed) and once on the survivor (completed).
    assert 1 <= len(redone) <= 2
    for job_id in redone:
        by = performed[job_id]
        assert len(by) == 2
        assert sorted(name.split(":")[0] for name in by) == ["survivor", "victim"]
        assert completed[job_id][0].startswith("survivor:")
    assert all(len(performed[job_id]) == 1 for job_id in ids - redone)
