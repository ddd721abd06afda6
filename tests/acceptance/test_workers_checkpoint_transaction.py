"""Checkpoint + Transaction with a real worker process: a perform stopped at a checkpoint
(abort, pause) rolls its SQL writes back; one that completes commits them."""

from __future__ import annotations

import signal
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.connection import jobs_db
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import performs
from tests.jobsapp.runtime_jobs import CheckpointLedgerJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _state(job_id: object) -> str:
    raw = jobs_db()["rocketjob_jobs"].find_one({"_id": job_id}, {"state": 1})
    assert raw is not None
    return str(raw["state"])


def _amounts(path: Path) -> list[int]:
    # closing(): a connection's own `with` only commits; an unclosed one warns on Python 3.13.
    with closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute("SELECT amount FROM plugin_ledger ORDER BY id")]


def test_a_perform_stopped_at_a_checkpoint_rolls_back(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.sqlite3"  # the worker's Django database
    with closing(sqlite3.connect(ledger)) as db, db:
        db.execute("CREATE TABLE plugin_ledger (id INTEGER PRIMARY KEY, amount INTEGER)")
    env = {**rocketjob_db.subprocess_env(), "ROCKETJOB_TEST_SQLITE": str(ledger)}
    with workers(["--workers", "1", "--name", "ct"], env, tmp_path / "w.log") as server:
        aborted = CheckpointLedgerJob.create(steps=2000)  # 100 s unless stopped
        wait_for(lambda: performs(aborted.pk) == 1 and _state(aborted.pk) == "running", 60)
        aborted.reload()
        aborted.abort()
        wait_for(lambda: "stopped at a checkpoint" in server.output(), 10)
        paused = CheckpointLedgerJob.create(steps=2001)
        wait_for(lambda: performs(paused.pk) == 1 and _state(paused.pk) == "running", 60)
        paused.reload()
        paused.pause()
        wait_for(lambda: "paused at a checkpoint" in server.output(), 10)
        committed = CheckpointLedgerJob.create(steps=3)
        wait_for(lambda: _state(committed.pk) == "completed", 30)
        assert _amounts(ledger) == [3]  # only the completed perform's row
        assert (_state(aborted.pk), _state(paused.pk)) == ("aborted", "paused")
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
