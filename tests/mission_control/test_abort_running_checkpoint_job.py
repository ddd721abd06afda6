"""Abort from Mission Control (a real POST with the manager's session) reaches a running
checkpointing job in a real ``manage.py rocketjob`` process: perform stops within
``checkpoint_seconds`` plus the worker's poll, and the job stays aborted."""

from __future__ import annotations

import signal
import time

from rocketjob.connection import jobs_db
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions, performs
from tests.jobsapp.jobs import NoopJob
from tests.jobsapp.runtime_jobs import PERFORM_ENDS, CheckpointJob
from tests.mission_control.test_job_actions import action_url, state_of


def test_abort_from_mission_control_stops_a_running_checkpoint_job(
    make_client, rocketjob_db, tmp_path
):
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", "mc"], env, tmp_path / "w.log") as server:
        job = CheckpointJob.create(steps=2000)  # 100 s unless stopped; checkpoints 0.2 s
        wait_for(lambda: performs(job.pk) == 1 and state_of(job.pk) == "running", 60)
        client = make_client("manager")
        asked = time.monotonic()
        response = client.post(
            action_url(job.pk, "abort"), {"expected_state": "running"}, follow=True
        )
        assert response.status_code == 200
        assert "aborted." in response.content.decode()
        assert state_of(job.pk) == "aborted"
        wait_for(lambda: "stopped at a checkpoint" in server.output(), 10)
        # checkpoint_seconds (0.2) + a step (0.05) + the log line reaching the file; 5 s
        # leaves room for a loaded machine.
        assert time.monotonic() - asked < 5
        # The worker is free again, and the job stays as the operator set it.
        other = NoopJob.create()
        wait_for(lambda: state_of(other.pk) == "completed", 30)
        raw = jobs_db()["rocketjob_jobs"].find_one({"_id": job.pk})
        assert raw["state"] == "aborted" and "exception" not in raw
        assert jobs_db()[PERFORM_ENDS].count_documents({"job_id": str(job.pk)}) == 0
        assert (performs(job.pk), completions(job.pk)) == (1, 0)
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
