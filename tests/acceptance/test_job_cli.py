"""``manage.py rocketjob_job``: abort, fail, pause, resume and retry one job from the command
line, run as subprocesses against jobs that real worker processes are running; and the
job helpers pause_all/resume_all on a mix of running jobs."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bson import ObjectId

from rocketjob.connection import jobs_db
from tests.acceptance.workers_support import run_manage, workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions, performs
from tests.jobsapp.jobs import NoopJob
from tests.jobsapp.runtime_jobs import PERFORM_ENDS, CheckpointJob, RuntimeJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _job(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_manage(["rocketjob_job", *args], env)


def _stored(job_id: object) -> dict:
    raw = jobs_db()["rocketjob_jobs"].find_one({"_id": job_id})
    assert raw is not None
    return raw


def _ends(job_id: object) -> int:
    return jobs_db()[PERFORM_ENDS].count_documents({"job_id": str(job_id)})


def _running(job_id: object) -> None:
    wait_for(lambda: performs(job_id) == 1 and _stored(job_id)["state"] == "running", 60)


def _refused(result: subprocess.CompletedProcess[str]) -> str:
    """Exit status 1, one line on stderr, no traceback; returns that line."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def test_abort_fail_and_pause_from_the_cli_reach_running_jobs(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "3", "--name", "cli"], env, tmp_path / "w.log") as server:
        aborted = CheckpointJob.create(steps=2000)  # 100 s unless stopped
        paused = CheckpointJob.create(steps=2000)
        failed = RuntimeJob.create(sleep_seconds=10.0)  # plain: no checkpoint
        for job in (aborted, paused, failed):
            _running(job.pk)
        started = time.monotonic()
        result = _job(env, "--abort", str(aborted.pk))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"CheckpointJob {aborted.pk} aborted: running -> aborted"
        assert _job(env, "--pause", str(paused.pk)).returncode == 0
        result = _job(env, "--fail", str(failed.pk))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"RuntimeJob {failed.pk} failed: running -> failed"
        # The checkpointing jobs let go at their next checkpoint (0.2 s apart).
        wait_for(lambda: "worker_name" not in _stored(paused.pk), 10)
        wait_for(lambda: server.output().count("stopped at a checkpoint") >= 1, 10)
        assert time.monotonic() - started < 10
        # The plain job runs on to its end and its completion is refused: it stays failed.
        wait_for(lambda: "not completed" in server.output(), 30)
        assert _stored(aborted.pk)["state"] == "aborted"
        assert _stored(paused.pk)["state"] == "paused"
        assert _stored(failed.pk)["state"] == "failed"
        assert _stored(failed.pk)["exception"]["message"] == "failed by a user"
        assert (_ends(aborted.pk), _ends(paused.pk)) == (0, 0)
        assert (completions(aborted.pk), completions(paused.pk), completions(failed.pk)) == (
            0,
            0,
            0,
        )
        # Resume from the CLI: it runs again, from the start, and completes.
        CheckpointJob.objects.get(pk=paused.pk).set_fields(steps=2)
        result = _job(env, "--resume", str(paused.pk))
        assert result.stdout.strip() == f"CheckpointJob {paused.pk} resumed: paused -> queued"
        wait_for(lambda: _stored(paused.pk)["state"] == "completed", 30)
        # Retry the failed one from the CLI.
        result = _job(env, "--retry", str(failed.pk))
        assert result.stdout.strip() == f"RuntimeJob {failed.pk} retried: failed -> queued"
        wait_for(lambda: _stored(failed.pk)["state"] == "completed", 30)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0


def test_unknown_ids_and_invalid_transitions_are_one_line_and_change_nothing(
    rocketjob_db: TestDatabase,
) -> None:
    env = rocketjob_db.subprocess_env()
    missing = ObjectId()
    assert f"no job with id {missing}" in _refused(_job(env, "--abort", str(missing)))
    assert "not-an-id" in _refused(_job(env, "--abort", "not-an-id"))
    queued = NoopJob.create()
    before = _stored(queued.pk)
    line = _refused(_job(env, "--retry", str(queued.pk)))
    assert line.startswith(f"CommandError: NoopJob {queued.pk} was not retried (queued):")
    aborted = NoopJob.create()
    aborted.abort()
    assert "was not paused (aborted)" in _refused(_job(env, "--pause", str(aborted.pk)))
    assert _stored(queued.pk) == before
    assert _stored(aborted.pk)["state"] == "aborted"
    usage = _job(env, "--abort", str(queued.pk), "--fail", str(queued.pk))
    assert usage.returncode == 2 and "not allowed with argument" in usage.stderr
    assert _stored(queued.pk) == before


def test_pause_all_and_resume_all_on_a_mix_of_running_jobs(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "2", "--name", "pa"], env, tmp_path / "w.log") as server:
        checkpointing = CheckpointJob.create(steps=2000)  # 100 s unless stopped
        plain = RuntimeJob.create(sleep_seconds=4.0)  # no checkpoints: cannot pause running
        for job in (checkpointing, plain):
            _running(job.pk)
        waiting = CheckpointJob.create(steps=2)  # queued: both workers are busy
        result = RuntimeJob.pause_all()  # RuntimeJob and its subclass CheckpointJob
        assert result == 2 and (result.skipped, result.skipped_ids) == (1, [plain.pk])
        assert _stored(waiting.pk)["state"] == "paused"
        wait_for(lambda: "worker_name" not in _stored(checkpointing.pk), 10)  # let go
        assert _stored(checkpointing.pk)["state"] == "paused" and _ends(checkpointing.pk) == 0
        wait_for(lambda: _stored(plain.pk)["state"] == "completed", 30)  # ran to its end
        assert completions(plain.pk) == 1
        CheckpointJob.objects.get(pk=checkpointing.pk).set_fields(steps=2)
        resumed = RuntimeJob.resume_all()
        assert resumed == 2 and resumed.skipped == 0
        for job in (checkpointing, waiting):
            wait_for(lambda job=job: _stored(job.pk)["state"] == "completed", 30)
        assert (performs(checkpointing.pk), completions(checkpointing.pk)) == (2, 1)
        assert (performs(waiting.pk), completions(waiting.pk)) == (1, 1)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
