"""SIGKILL worker processes at random points of simple and batch work, round after round.

Two named servers run the work; each round one of them (chosen by a seeded generator) is
killed at a random moment and restarted under its name, which re-queues what it held. The
verdict comes from side effects written to the database: every job completes exactly once,
only jobs a killed process was running are performed again, and every batch record appears
in the output exactly once, in order.
"""

from __future__ import annotations

import random
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rocketjob.connection import jobs_db
from rocketjob.queries import count
from tests.helpers import wait_for
from tests.jobsapp.batch_jobs import EchoBatchJob
from tests.jobsapp.runtime_jobs import COMPLETIONS, PERFORMS, RuntimeJob
from tests.reliability.support import SEED, fleet, side_effects, workers_of

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

SIMPLE_ROUNDS = 8
JOBS_PER_ROUND = 36
BATCH_ROUNDS = 5
RECORDS_PER_BATCH = 1500
WORKERS = 3


def _all_completed(expected: int) -> bool:
    return count(jobs_db()["rocketjob_jobs"], {"state": "completed"}) >= expected


@pytest.mark.slow
def test_sigkill_during_simple_jobs_loses_and_duplicates_nothing(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    ids: list[str] = []
    with fleet(2, WORKERS, rocketjob_db.subprocess_env(), tmp_path) as group:
        for _ in range(SIMPLE_ROUNDS):
            ids += [str(RuntimeJob.create(sleep_seconds=0.15).pk) for _ in range(JOBS_PER_ROUND)]
            time.sleep(rng.uniform(0.1, 0.6))  # the fault lands at a random point of the work
            group.kill_and_restart(rng)
            wait_for(partial(_all_completed, len(ids)), timeout=120, interval=0.1)
        group.stop_all()
    killed = set(group.kills)
    performs, completions = side_effects(PERFORMS), side_effects(COMPLETIONS)
    states = {str(job.pk): job for job in RuntimeJob.objects()}
    assert len(states) == len(ids)
    assert {job.state for job in states.values()} == {"completed"}  # none lost
    rerun = [job_id for job_id in ids if performs[job_id] > 1]
    for job_id in ids:
        assert performs[job_id] >= 1, job_id
        assert completions[job_id] <= 1, job_id  # never completed twice
        if completions[job_id] == 0:
            # Only a kill between the completion and its after-complete record explains it.
            assert states[job_id].worker_name.rsplit(":", 1)[0] in killed, job_id
    for job_id in rerun:
        # A job runs again only because a killed process was running it.
        first_runners = {worker.rsplit(":", 1)[0] for worker in workers_of(PERFORMS, job_id)}
        assert first_runners & killed, (job_id, first_runners)
    assert len(rerun) <= sum(group.kills.values()) * WORKERS
    assert rerun, "no kill interrupted a job: the rounds tested nothing"


def _completed(job: EchoBatchJob) -> bool:
    return bool(job.reload().state == "completed")


def _output(job: EchoBatchJob) -> list[object]:
    return [record for _, records in job.output().each_records() for record in records]


@pytest.mark.slow
def test_sigkill_during_batch_jobs_keeps_every_record_exactly_once(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    rng = random.Random(SEED + 1)
    with fleet(2, WORKERS, rocketjob_db.subprocess_env(), tmp_path) as group:
        for _ in range(BATCH_ROUNDS):
            job = EchoBatchJob.create_from_upload(
                iter(range(RECORDS_PER_BATCH)), sleep_seconds=0.002
            )
            time.sleep(rng.uniform(0.3, 1.5))
            group.kill_and_restart(rng)
            wait_for(partial(_completed, job), timeout=120, interval=0.2)
            assert _output(job) == list(range(RECORDS_PER_BATCH))
            assert job.input().count() == 0
            job.delete()
        group.stop_all()
    assert sum(group.kills.values()) == BATCH_ROUNDS
