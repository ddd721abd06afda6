"""A job whose completion could not be written (database error) is finished exactly once.

The database error is injected into the job's own write method; the database itself is real.
The acceptance test ``test_workers_database_outage`` stops and restarts a real server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from rocketjob.conf import get_settings
from rocketjob.job import Job
from rocketjob.runtime import health
from rocketjob.runtime.claim import Claim
from rocketjob.runtime.claim_filter import ClaimFilter
from rocketjob.runtime.worker import Worker
from tests.claiming import next_claimed_job
from tests.integration.runtime_helpers import completions, performs
from tests.jobsapp.runtime_jobs import RuntimeFailJob, RuntimeJob

WORKER = "itest:9:0"


@pytest.fixture(autouse=True)
def _forget_failures() -> Iterator[None]:
    yield
    health.reset()


def _claimed(job_class: type) -> Any:
    created = job_class.create()
    job = next_claimed_job(Job, WORKER, ClaimFilter(include=job_class.__name__ + "$"))
    assert job is not None and job.pk == created.pk
    return job


def _fail_persist(job: Any, times: int, apply_first: bool = False) -> list[str]:
    """Make the job's next ``times`` transition writes raise AutoReconnect."""
    original = job.rocketjob_persist_transition
    calls: list[str] = []

    def flaky(event: str, expected: dict[str, Any]) -> None:
        calls.append(event)
        if len(calls) <= times:
            if apply_first:  # the write lands on the server but its answer is lost
                sets, _ = job._delta()
                job._get_collection().update_one({"_id": job.pk, **expected}, {"$set": sets})
            raise AutoReconnect("connection closed")
        original(event, expected)

    job.rocketjob_persist_transition = flaky
    return calls


def _worker() -> Worker:
    return Worker("itest:9", 0, get_settings(), ClaimFilter())


def _execute(job: Any) -> None:
    """Run the worker's job step on a thread of its own, as a worker does."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _worker()._execute(Claim(job))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and not errors, errors


def test_completion_is_written_once_the_database_answers_again() -> None:
    job = _claimed(RuntimeJob)
    calls = _fail_persist(job, times=2)
    _execute(job)
    stored = Job.load(job.pk)
    assert (stored.state, stored.worker_name) == ("completed", WORKER)
    assert calls == ["complete", "complete", "complete"]
    assert (performs(job.pk), completions(job.pk)) == (1, 1)
    assert health.seconds_since_failure() is not None


def test_a_completion_that_landed_but_whose_answer_was_lost_is_not_repeated() -> None:
    job = _claimed(RuntimeJob)
    _fail_persist(job, times=1, apply_first=True)
    _execute(job)
    assert Job.load(job.pk).state == "completed"
    assert (performs(job.pk), completions(job.pk)) == (1, 1)


def test_a_failure_is_written_once_the_database_answers_again() -> None:
    job = _claimed(RuntimeFailJob)
    _fail_persist(job, times=1)
    _execute(job)
    stored = Job.load(job.pk)
    assert stored.state == "failed"
    assert stored.exception.message == "runtime job failed on purpose"
    assert stored.exception.worker_name == WORKER


def test_a_job_requeued_meanwhile_is_left_to_its_new_owner() -> None:
    job = _claimed(RuntimeJob)
    original = job.rocketjob_persist_transition

    def requeued_then_fail(event: str, expected: dict[str, Any]) -> None:
        job.rocketjob_persist_transition = original
        Job.load(job.pk).requeue("itest:9")  # a peer judged this server a zombie
        raise AutoReconnect("connection closed")

    job.rocketjob_persist_transition = requeued_then_fail
    _execute(job)
    stored = Job.load(job.pk)
    assert (stored.state, stored.worker_name) == ("queued", None)
    assert completions(job.pk) == 0


def test_a_new_thread_requeues_its_predecessors_jobs_but_not_shared_batch_jobs() -> None:
    from tests.jobsapp.batch_jobs import EchoBatchJob

    plain = RuntimeJob.create()
    batch = EchoBatchJob.create()
    for job in (plain, batch):
        Job._get_collection().update_one(
            {"_id": job.pk}, {"$set": {"state": "running", "worker_name": WORKER}}
        )
    assert _worker()._requeue_own_claims() == 1
    assert Job.load(plain.pk).state == "queued"
    assert Job.load(batch.pk).state == "running"
