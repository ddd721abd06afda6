"""The database server stops for a few seconds while workers run, then comes back.

The test starts its own embedded server with a file database (so the data survives the
restart), points two supervisor processes (``--processes 2``) at it, stops it mid-work and
starts it again on the same port with the same file. Every job must complete, and the
records written to a file (unaffected by the outage) must show exactly one perform and one
completion per job: no job lost, none run or completed twice, none left running.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pymongo
import pytest

from rocketjob.embedded import EmbeddedServer
from tests.acceptance.workers_support import read_records, workers
from tests.helpers import wait_for
from tests.jobsapp.runtime_jobs import RuntimeJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

JOBS = 40
DATABASE = "rjtest_outage"
OUTAGE_SECONDS = 5.0


@pytest.mark.slow
def test_workers_survive_a_database_outage_and_complete_every_job_once(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    server = EmbeddedServer(data=str(tmp_path / "outage.sqlite3"), work_dir=str(tmp_path)).start()
    record_file = tmp_path / "records.txt"
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        server.url, serverSelectionTimeoutMS=2000, tz_aware=True
    )
    try:
        jobs = client[DATABASE]["rocketjob_jobs"]
        ids = [
            jobs.insert_one(
                RuntimeJob.build(sleep_seconds=0.25, record_file=str(record_file)).to_mongo()
            ).inserted_id
            for _ in range(JOBS)
        ]
        env = rocketjob_db.subprocess_env()
        env["ROCKETJOB_TEST_MONGODB_URL"] = server.url
        env["ROCKETJOB_TEST_DATABASE"] = DATABASE
        args = ["--processes", "2", "--workers", "2"]
        with workers(args, env, tmp_path / "workers.log") as group:
            wait_for(lambda: sum(read_records(record_file).values()) >= 8, timeout=90)
            server.stop()
            time.sleep(OUTAGE_SECONDS)  # the fault: the database is down this long
            server.start()
            client.close()
            client = pymongo.MongoClient(server.url, serverSelectionTimeoutMS=2000, tz_aware=True)
            jobs = client[DATABASE]["rocketjob_jobs"]
            wait_for(
                lambda: jobs.count_documents({"state": "completed"}) == JOBS,
                timeout=120,
                interval=0.2,
            )
            group.signal(signal.SIGTERM)
            assert group.wait(90) == 0
        records = read_records(record_file)
        for job_id in ids:
            assert records[("runtime_performs", str(job_id))] == 1, job_id
            assert records[("runtime_completions", str(job_id))] == 1, job_id
        assert client[DATABASE]["rocketjob_servers"].count_documents({}) == 0
        output = group.output()
        assert "heartbeat failed" in output  # the outage was noticed, and survived
    finally:
        client.close()
        server.stop()
