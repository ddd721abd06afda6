"""The supervisor, pool and workers on threads of the test process, against the real server."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from rocketjob.job import Job
from rocketjob.runtime.server import Server
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions, performs, running_supervisor
from tests.jobsapp.runtime_jobs import RuntimeFailJob, RuntimeJob, RuntimeLowPriorityJob


def _state(job: Job) -> str:
    return Job.load(job.pk).state


def test_jobs_run_once_each_and_the_server_is_registered_then_removed() -> None:
    jobs = [RuntimeJob.create() for _ in range(12)]
    with running_supervisor(max_workers=3) as supervisor:
        wait_for(lambda: all(_state(j) == "completed" for j in jobs))
        server = wait_for(lambda: Server.objects(name=supervisor.name).first())
        assert server.state == "running"
        wait_for(lambda: Server.objects.get(name=supervisor.name).heartbeat.workers == 3)
    assert [performs(j.pk) for j in jobs] == [1] * 12
    assert [completions(j.pk) for j in jobs] == [1] * 12
    workers = {Job.load(j.pk).worker_name for j in jobs}
    assert workers <= {"itest:1:0", "itest:1:1", "itest:1:2"}
    assert Server.objects.count() == 0


def test_a_failing_job_records_the_exception_and_worker() -> None:
    job = RuntimeFailJob.create()
    with running_supervisor(max_workers=1):
        wait_for(lambda: _state(job) == "failed")
    failed = Job.load(job.pk)
    assert failed.exception.class_name == "RuntimeError"
    assert failed.exception.message == "runtime job failed on purpose"
    assert failed.exception.worker_name == "itest:1:0"
    assert any("perform" in line for line in failed.exception.backtrace)


def test_include_filter_limits_the_classes_a_server_runs() -> None:
    wanted = RuntimeLowPriorityJob.create()
    other = RuntimeJob.create()
    with running_supervisor(include=r"RuntimeLowPriorityJob$") as supervisor:
        wait_for(lambda: _state(wanted) == "completed")
        assert _state(other) == "queued"
        assert Server.objects.get(name=supervisor.name).include_filter == r"RuntimeLowPriorityJob$"


def test_exclude_and_where_filters() -> None:
    excluded = RuntimeLowPriorityJob.create()
    low = RuntimeJob.create(priority=10)
    high = RuntimeJob.create(priority=90)
    with running_supervisor(exclude="LowPriority", where={"priority": {"$lt": 50}}):
        wait_for(lambda: _state(low) == "completed")
        assert (_state(excluded), _state(high)) == ("queued", "queued")


def test_graceful_stop_lets_the_running_job_finish() -> None:
    job = RuntimeJob.create(sleep_seconds=1.5)
    with running_supervisor(max_workers=1):
        wait_for(lambda: performs(job.pk) == 1)
    assert _state(job) == "completed"
    assert (performs(job.pk), completions(job.pk)) == (1, 1)


def test_shutdown_timeout_requeues_a_job_that_is_still_running() -> None:
    job = RuntimeJob.create(sleep_seconds=8)
    with running_supervisor(max_workers=1, shutdown_timeout=0.3):
        wait_for(lambda: performs(job.pk) == 1)
    requeued = Job.load(job.pk)
    assert (requeued.state, requeued.worker_name) == ("queued", None)
    assert Server.objects.count() == 0


def test_a_job_left_running_by_a_previous_thread_of_the_same_name_is_requeued_and_run() -> None:
    job = RuntimeJob.create()
    RuntimeJob._get_collection().update_one(
        {"_id": job.pk}, {"$set": {"state": "running", "worker_name": "itest:1:0"}}
    )
    with running_supervisor(max_workers=1):
        wait_for(lambda: _state(job) == "completed")
    assert (performs(job.pk), completions(job.pk)) == (1, 1)


def test_a_live_supervisor_destroys_zombies_and_runs_their_jobs() -> None:
    from datetime import timedelta

    from rocketjob.plugins.job.model import utc_now

    zombie = Server.register("dead-host:99", max_workers=1)
    Server._get_collection().update_one(
        {"_id": zombie.pk},
        {"$set": {"heartbeat": {"updated_at": utc_now() - timedelta(hours=1), "workers": 1}}},
    )
    job = RuntimeJob.create()
    RuntimeJob._get_collection().update_one(
        {"_id": job.pk}, {"$set": {"state": "running", "worker_name": "dead-host:99:0"}}
    )
    with running_supervisor(max_workers=1):
        wait_for(lambda: _state(job) == "completed")
        assert Server.objects(name="dead-host:99").count() == 0
    assert (performs(job.pk), completions(job.pk)) == (1, 1)


def test_a_live_server_whose_document_was_removed_registers_again() -> None:
    with running_supervisor(max_workers=1) as supervisor:
        first = wait_for(lambda: Server.objects(name=supervisor.name).first())
        Server.objects(name=supervisor.name).delete()  # a peer judged it a zombie
        again = wait_for(lambda: Server.objects(name=supervisor.name).first())
        assert again.pk != first.pk
        assert again.state == "running"
        job = RuntimeJob.create()
        wait_for(lambda: _state(job) == "completed")


def test_a_claim_landing_after_the_shutdown_timeout_is_requeued_not_left_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker still claiming when a hasty shutdown gives up on it (a slow round trip under
    load): its claim lands late, and the server's unregister must re-queue that job, not
    leave it running under a server that no longer exists."""
    from rocketjob.runtime import claim

    real_next_job = claim.next_job
    armed, claiming, claimed = threading.Event(), threading.Event(), threading.Event()

    def slow_next_job(*args: Any, **kwargs: Any) -> Any:
        if not armed.is_set() or claiming.is_set():
            return real_next_job(*args, **kwargs)
        claiming.set()
        time.sleep(1.5)  # the claim is slow; the shutdown timeout is 0.05 s
        try:
            return real_next_job(*args, **kwargs)
        finally:
            claimed.set()

    monkeypatch.setattr(claim, "next_job", slow_next_job)
    with running_supervisor(max_workers=1, shutdown_timeout=0.05) as supervisor:
        armed.set()
        assert claiming.wait(30)  # the worker's next claim has begun (and is slow) ...
        job = RuntimeJob.create(sleep_seconds=2)  # ... and will take this job
    assert claimed.wait(10)
    stored = Job.load(job.pk)
    assert (stored.state, stored.worker_name) == ("queued", None)
    assert Server.objects.count() == 0
    # The abandoned worker thread performs it meanwhile (a real process would have exited):
    # let it end here, its completion refused, so it cannot touch the next test's database.
    wait_for(lambda: not supervisor.pool.alive(), timeout=30)
    assert Job.load(job.pk).state == "queued"
