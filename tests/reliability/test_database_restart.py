"""The database server restarts twice while simple and batch work is in progress.

The test runs its own embedded server on a file (the data survives a restart) and points two
named worker processes at it. Simple jobs record performs and completions in a file (the
database is down part of the time); the batch job's output slices are the database side
effect. Every job must run and complete exactly once, every record appear exactly once.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rocketjob.connection import connect, ensure_indexes, jobs_db
from rocketjob.embedded import EmbeddedServer
from rocketjob.queries import count
from tests.acceptance.workers_support import read_records
from tests.helpers import wait_for
from tests.jobsapp.batch_jobs import EchoBatchJob
from tests.jobsapp.runtime_jobs import COMPLETIONS, PERFORMS, RuntimeJob
from tests.reliability.support import fleet

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

DATABASE = "rjtest_reliability_restart"
JOBS = 30
RECORDS = 2000
OUTAGE_SECONDS = 3.0


def _performed(path: Path, at_least: int) -> bool:
    return sum(n for (kind, _), n in read_records(path).items() if kind == PERFORMS) >= at_least


def _all_done(batch: EchoBatchJob) -> bool:
    jobs = count(jobs_db()["rocketjob_jobs"], {"state": "completed"})
    return jobs == JOBS + 1 and batch.reload().state == "completed"


@pytest.mark.slow
def test_database_restarts_during_work_lose_and_duplicate_nothing(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    server = EmbeddedServer(data=str(tmp_path / "db.sqlite3"), work_dir=str(tmp_path)).start()
    record_file = tmp_path / "records.txt"
    env = rocketjob_db.subprocess_env()
    env["ROCKETJOB_TEST_MONGODB_URL"] = server.url
    env["ROCKETJOB_TEST_DATABASE"] = DATABASE
    connect(dataclasses.replace(rocketjob_db.settings, mongodb_url=f"{server.url}/{DATABASE}"))
    try:
        ensure_indexes()
        ids = [
            str(RuntimeJob.create(sleep_seconds=0.2, record_file=str(record_file)).pk)
            for _ in range(JOBS)
        ]
        batch = EchoBatchJob.create_from_upload(iter(range(RECORDS)), sleep_seconds=0.002)
        with fleet(2, 3, env, tmp_path) as group:
            for outage in (1, 2):
                wait_for(lambda n=outage: _performed(record_file, 6 * n), timeout=90)
                server.stop()
                time.sleep(OUTAGE_SECONDS)  # the fault: the database is down this long
                server.start()
            wait_for(lambda: _all_done(batch), timeout=180, interval=0.2)
            group.stop_all()
        records = read_records(record_file)
        for job_id in ids:
            assert records[(PERFORMS, job_id)] == 1, job_id
            assert records[(COMPLETIONS, job_id)] == 1, job_id
        output = [r for _, rs in batch.output().each_records() for r in rs]
        assert output == list(range(RECORDS))
        assert batch.input().count() == 0
    finally:
        jobs_db().client.drop_database(DATABASE)
        connect(rocketjob_db.settings)
        server.stop()
