"""Many workers racing for few jobs, and graceful shutdown (SIGTERM) under load."""

from __future__ import annotations

import signal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rocketjob.connection import jobs_db
from rocketjob.queries import count
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.runtime_jobs import COMPLETIONS, PERFORMS, RuntimeJob
from tests.reliability.support import Fleet, side_effects

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

RACE_ROUNDS = 4
RACE_JOBS = 5


def _completed(expected: int) -> bool:
    return count(jobs_db()["rocketjob_jobs"], {"state": "completed"}) >= expected


def _performed(expected: int) -> bool:
    return count(jobs_db()[PERFORMS], {}) >= expected


@pytest.mark.slow
def test_thirty_workers_racing_for_five_jobs_run_each_exactly_once(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    ids: list[str] = []
    args = ["--processes", "3", "--workers", "10"]
    with workers(args, env, tmp_path / "race.log") as group:
        for _ in range(RACE_ROUNDS):
            ids += [str(RuntimeJob.create().pk) for _ in range(RACE_JOBS)]
            wait_for(partial(_completed, len(ids)), timeout=90, interval=0.05)
        group.signal(signal.SIGTERM)
        assert group.wait(90) == 0
    performs, completions = side_effects(PERFORMS), side_effects(COMPLETIONS)
    assert sorted(performs) == sorted(ids)
    assert set(performs.values()) == {1}
    assert set(completions.values()) == {1}
    assert len(completions) == len(ids)


@pytest.mark.slow
def test_sigterm_under_load_requeues_nothing_twice(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    ids = [str(RuntimeJob.create(sleep_seconds=0.3).pk) for _ in range(40)]
    # 1. A generous shutdown timeout: running jobs finish, nothing is re-queued.
    patient = Fleet(2, 3, env, tmp_path / "patient", shutdown_timeout=30)
    (tmp_path / "patient").mkdir()
    try:
        patient.start_all()
        wait_for(partial(_performed, 8), timeout=90)
        patient.stop_all()
    finally:
        patient.close()
    assert RuntimeJob.objects(state="running").count() == 0
    performs, completions = side_effects(PERFORMS), side_effects(COMPLETIONS)
    assert set(performs.values()) == {1}
    assert completions == performs  # every job started was finished, once
    # 2. No time to finish: the jobs in flight are re-queued (once) and run again later.
    hasty = Fleet(2, 3, env, tmp_path / "hasty", prefix="hasty", shutdown_timeout=0.05)
    (tmp_path / "hasty").mkdir()
    before = sum(performs.values())
    try:
        hasty.start_all()
        wait_for(partial(_performed, before + 6), timeout=90)
        hasty.stop_all()
    finally:
        hasty.close()
    assert RuntimeJob.objects(state="running").count() == 0
    interrupted = set(side_effects(PERFORMS)) - set(side_effects(COMPLETIONS))
    queued_again = {str(job.pk) for job in RuntimeJob.objects(state="queued")}
    assert interrupted, "SIGTERM found no job in flight: the phase tested nothing"
    assert interrupted <= queued_again
    # 3. A fresh fleet finishes everything; re-queued jobs ran twice at most, none thrice.
    final = Fleet(2, 3, env, tmp_path / "final", prefix="final")
    (tmp_path / "final").mkdir()
    try:
        final.start_all()
        wait_for(partial(_completed, len(ids)), timeout=120)
        final.stop_all()
    finally:
        final.close()
    performs, completions = side_effects(PERFORMS), side_effects(COMPLETIONS)
    assert sorted(completions) == sorted(ids)
    assert set(completions.values()) == {1}
    assert max(performs.values()) <= 2
    assert {job_id for job_id, n in performs.items() if n == 2} <= interrupted
