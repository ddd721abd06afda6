"""Abort, fail and pause reach a running plain job at its checkpoints (real worker processes).

Each test runs ``manage.py rocketjob`` and changes the job from the test process, as Mission
Control and the API do. The job records its start (performs) and its end (perform_ends), so a
perform that did not stop, a lost completion or a second run are all countable.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.connection import jobs_db
from rocketjob.job import Job
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions, performs
from tests.jobsapp.jobs import NoopJob
from tests.jobsapp.runtime_jobs import PERFORM_ENDS, CheckpointJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _ends(job_id: object) -> int:
    return jobs_db()[PERFORM_ENDS].count_documents({"job_id": str(job_id)})


def _stored(job_id: object) -> dict:
    raw = jobs_db()["rocketjob_jobs"].find_one({"_id": job_id})
    assert raw is not None
    return raw


def _running(job: CheckpointJob) -> CheckpointJob:
    wait_for(lambda: performs(job.pk) == 1 and _stored(job.pk)["state"] == "running", 60)
    job.reload()
    return job


def test_pause_stops_perform_at_a_checkpoint_and_resume_runs_it_again(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", "ck"], env, tmp_path / "w.log") as server:
        job = _running(CheckpointJob.create(steps=2000))  # 100 s unless stopped
        job.pause()
        # The worker lets go at its next checkpoint (0.2 s apart): paused, no worker.
        wait_for(lambda: "worker_name" not in _stored(job.pk), 10)
        stored = _stored(job.pk)
        assert stored["state"] == "paused"
        assert "started_at" not in stored
        assert _ends(job.pk) == 0  # perform did not run on
        # The worker is free again: another job runs meanwhile.
        other = NoopJob.create()
        wait_for(lambda: _stored(other.pk)["state"] == "completed", 30)
        assert _stored(job.pk)["state"] == "paused"

        job.reload()
        job.set_fields(steps=3)
        job.resume()
        assert job.state == "queued"  # it let go: resume re-queues it, to run from the start
        wait_for(lambda: _stored(job.pk)["state"] == "completed", 30)
        assert (performs(job.pk), _ends(job.pk), completions(job.pk)) == (2, 1, 1)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
    assert "paused at a checkpoint" in server.output()


def test_abort_and_fail_stop_perform_and_stay_as_the_operator_set_them(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "2", "--name", "ck"], env, tmp_path / "w.log") as server:
        aborted = CheckpointJob.create(steps=2000)
        failed = CheckpointJob.create(steps=2000)
        _running(aborted)
        _running(failed)
        aborted.abort()
        failed.fail()
        # Both workers are free within a checkpoint interval: two more jobs complete.
        more = [NoopJob.create(), NoopJob.create()]
        wait_for(lambda: all(_stored(j.pk)["state"] == "completed" for j in more), 30)
        aborted.reload()
        failed.reload()
        assert aborted.state == "aborted" and aborted.exception is None
        assert failed.state == "failed"
        assert failed.exception.message == "failed by a user"  # not JobInterrupted
        assert failed.failure_count == 1
        assert (_ends(aborted.pk), _ends(failed.pk)) == (0, 0)
        assert (completions(aborted.pk), completions(failed.pk)) == (0, 0)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
    assert server.output().count("stopped at a checkpoint") == 2


def test_a_pause_after_the_last_checkpoint_completes_the_job(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", "ck"], env, tmp_path / "w.log") as server:
        job = CheckpointJob.create(steps=1, tail_seconds=3.0)
        _running(job)
        job.pause()  # perform is in its tail: no checkpoint is coming
        wait_for(lambda: _stored(job.pk)["state"] == "completed", 30)
        assert (performs(job.pk), _ends(job.pk), completions(job.pk)) == (1, 1, 1)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
    assert "paused after its last checkpoint" in server.output()


def test_stopping_the_server_never_runs_a_paused_job_twice(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    args = ["--workers", "1", "--name", "ck", "--shutdown-timeout", "20"]
    job = CheckpointJob.create(steps=2000)
    with workers(args, env, tmp_path / "a.log") as first:
        _running(job)
        job.pause()
        first.signal(signal.SIGTERM)  # stop while the job is being paused
        assert first.wait() == 0
    stored = _stored(job.pk)
    assert stored["state"] == "paused"
    assert "worker_name" not in stored
    assert (performs(job.pk), _ends(job.pk), completions(job.pk)) == (1, 0, 0)

    # Resumed and paused again while held, then the server stops: still one run at a time.
    job.reload()
    job.set_fields(steps=20)
    job.resume()
    with workers(args, env, tmp_path / "b.log") as second:
        wait_for(lambda: _stored(job.pk)["state"] == "completed", 60)
        second.signal(signal.SIGTERM)
        assert second.wait() == 0
    assert (performs(job.pk), _ends(job.pk), completions(job.pk)) == (2, 1, 1)
    assert Job.objects(state="running").count() == 0
