"""SIGKILL a worker process in the middle of a batch job: only the slices it held are
re-queued, completed slices are never processed again, and the output has every record
exactly once, in input order."""

from __future__ import annotations

import io
import signal
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rocketjob.connection import jobs_db
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.batch_jobs import RecordingBatchJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

RECORDS = 600  # 60 slices of 10


def performs(job: RecordingBatchJob) -> list[dict[str, object]]:
    return list(jobs_db()["test_batch_performs"].find({"job_id": str(job.pk)}))


def victim_slices(job: RecordingBatchJob) -> set[int]:
    query = {"state": "running", "worker_name": {"$regex": "^victim:"}}
    return {doc["_id"] for doc in job.input().collection.find(query, {"_id": 1})}


def victim_mid_slice(job: RecordingBatchJob) -> bool:
    held = victim_slices(job)
    return any(
        doc["slice"] in held and str(doc["worker"]).startswith("victim:") for doc in performs(job)
    )


@pytest.mark.slow
def test_sigkill_mid_batch_requeues_only_in_flight_slices(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    records = [f"record {n}" for n in range(1, RECORDS + 1)]
    job = RecordingBatchJob.create_from_upload(records)
    with (
        workers(["--workers", "3", "--name", "victim"], env, tmp_path / "victim.log") as victim,
        workers(["--workers", "2", "--name", "survivor"], env, tmp_path / "survivor.log"),
    ):
        # Kill the victim in the middle of slices it holds, after some slices were completed.
        wait_for(lambda: len(performs(job)) >= 100 and victim_mid_slice(job), timeout=90)
        victim.signal(signal.SIGKILL)
        victim.wait()
        in_flight = victim_slices(job)  # the victim can no longer change anything
        assert in_flight
        done_before = {doc["record"] for doc in performs(job)}

        def finished() -> bool:
            job.reload()
            return job.state == "completed"

        wait_for(finished, timeout=180)

    out = io.StringIO()
    assert job.download(out) == RECORDS
    assert out.getvalue().splitlines() == records  # every record once, in input order

    counts = Counter(doc["record"] for doc in performs(job))
    assert set(counts) == set(range(1, RECORDS + 1))
    repeated = {record for record, n in counts.items() if n > 1}
    # Only records of the slices the victim held ran twice: once on the victim, once after.
    assert all(n <= 2 for n in counts.values())
    in_flight_records = {r for s in in_flight for r in range(s, s + 10)}
    assert repeated <= in_flight_records
    assert repeated, "the victim had performed records of the slices it held"
    assert repeated <= done_before
    for doc in performs(job):
        if doc["record"] not in in_flight_records:
            continue
        assert doc["slice"] in in_flight
    redone_by = {
        str(doc["worker"]).split(":")[0] for doc in performs(job) if doc["record"] in repeated
    }
    assert redone_by == {"victim", "survivor"}
