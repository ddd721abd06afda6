"""Events published to running supervisors (on threads of the test process)."""

from __future__ import annotations

import logging

import pytest

from rocketjob.events import publish
from rocketjob.job import Job
from rocketjob.runtime.server import Server
from rocketjob.runtime.worker import Worker
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions, performs, running_supervisor
from tests.jobsapp.runtime_jobs import RuntimeJob


def _state(job: Job) -> str:
    return Job.load(job.pk).state


def _server_state(name: str) -> str | None:
    server = Server.objects(name=name).first()
    return None if server is None else server.state


def test_pause_stops_claiming_and_resume_starts_again() -> None:
    with running_supervisor(max_workers=2) as supervisor:
        publish("pause")
        wait_for(lambda: _server_state(supervisor.name) == "paused")
        wait_for(lambda: not supervisor.pool.alive())
        job = RuntimeJob.create()
        publish("refresh", server_name=supervisor.name)
        wait_for(lambda: Server.objects.get(name=supervisor.name).heartbeat.workers == 0)
        assert _state(job) == "queued"
        publish("resume", server_name=supervisor.name)
        wait_for(lambda: _state(job) == "completed")
        assert _server_state(supervisor.name) == "running"
        # Work has been waiting for the resume: every worker starts at once, none staggered.
        assert len(supervisor.pool.workers) == 2
        assert [w.start_delay for w in supervisor.pool.workers.values()] == [0.0, 0.0]


def test_events_for_another_server_are_ignored() -> None:
    with running_supervisor() as supervisor:
        publish("pause", server_name="someone-else:1")
        job = RuntimeJob.create()
        wait_for(lambda: _state(job) == "completed")
        assert _server_state(supervisor.name) == "running"


def test_stop_event_stops_the_supervisor_and_unregisters() -> None:
    with running_supervisor() as supervisor:
        publish("stop", server_name=supervisor.name)
        assert supervisor.stopped.wait(30)
        assert Server.objects(name=supervisor.name).count() == 0


def test_kill_worker_fails_its_job_and_the_thread_is_replaced() -> None:
    job = RuntimeJob.create(sleep_seconds=30)
    with running_supervisor(max_workers=1) as supervisor:
        wait_for(lambda: performs(job.pk) == 1)
        first = supervisor.pool.workers[0]
        publish("kill_worker", worker_name="itest:1:0")
        wait_for(lambda: _state(job) == "failed")
        assert Job.load(job.pk).exception.class_name.endswith("WorkerKilled")
        wait_for(lambda: supervisor.pool.workers.get(0) not in (None, first))
        later = RuntimeJob.create()
        wait_for(lambda: _state(later) == "completed")
        assert supervisor.pool.replaced >= 1


def test_kill_event_kills_workers_and_stops_the_server() -> None:
    job = RuntimeJob.create(sleep_seconds=30)
    with running_supervisor(max_workers=1) as supervisor:
        wait_for(lambda: performs(job.pk) == 1)
        publish("kill")
        assert supervisor.stopped.wait(30)
    assert _state(job) == "failed"
    assert Server.objects.count() == 0


def test_stop_worker_lets_it_finish_and_rebalance_replaces_it() -> None:
    job = RuntimeJob.create(sleep_seconds=0.5)
    with running_supervisor(max_workers=1) as supervisor:
        wait_for(lambda: performs(job.pk) == 1)
        first = supervisor.pool.workers[0]
        publish("stop_worker", worker_name="itest:1:0")
        wait_for(lambda: not first.is_alive())
        assert _state(job) == "completed"
        wait_for(lambda: supervisor.pool.workers.get(0) not in (None, first))


def test_thread_dump_logs_every_thread(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="rocketjob.runtime.dump")
    with running_supervisor(max_workers=2):
        publish("thread_dump")
        wait_for(lambda: "thread dump" in caplog.text)
    assert "rocketjob-worker-0" in caplog.text
    assert "rocketjob-events" in caplog.text


def test_set_log_level_changes_the_level_of_this_process() -> None:
    target = logging.getLogger("rocketjob.itest")
    try:
        with running_supervisor():
            publish("set_log_level", level="debug", logger_name="rocketjob.itest")
            wait_for(lambda: target.level == logging.DEBUG)
            publish("set_log_level", level="ERROR", logger_name="rocketjob.itest", pid=1)
            publish("set_log_level", level="INFO", logger_name="rocketjob.itest")
            wait_for(lambda: target.level == logging.INFO)
    finally:
        target.setLevel(logging.NOTSET)


def test_a_crash_in_the_worker_loop_is_logged_and_the_thread_replaced(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    original = Worker._claim
    crashes: list[str] = []

    def crash_once(self: Worker) -> object:
        if not crashes:
            crashes.append(self.name)
            raise RuntimeError("bug in the worker loop")
        return original(self)

    monkeypatch.setattr(Worker, "_claim", crash_once)
    with running_supervisor(max_workers=1) as supervisor:
        wait_for(lambda: supervisor.pool.replaced == 1)
        job = RuntimeJob.create()
        wait_for(lambda: _state(job) == "completed")
    assert "worker thread crashed" in caplog.text
    assert "bug in the worker loop" in caplog.text
    assert (performs(job.pk), completions(job.pk)) == (1, 1)
