"""``--processes N``: one command runs N supervisor processes, restarts a crashed one, and
its children stop by themselves when the parent dies."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rocketjob.job import Job
from rocketjob.runtime.server import Server
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.runtime_jobs import RuntimeJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _pids() -> dict[str, int]:
    return {server.name: server.pid for server in Server.objects}


@pytest.mark.slow
def test_processes_restart_a_crashed_child_and_stop_when_the_parent_dies(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    args = ["--processes", "2", "--workers", "1", "--name", "pg"]
    with workers(args, env, tmp_path / "group.log") as parent:
        first = wait_for(lambda: (p := _pids()).keys() == {"pg-0", "pg-1"} and p, timeout=60)
        jobs = [RuntimeJob.create() for _ in range(6)]
        wait_for(lambda: all(Job.load(j.pk).state == "completed" for j in jobs), timeout=60)
        assert {Job.load(j.pk).worker_name for j in jobs} <= {"pg-0:0", "pg-1:0"}

        os.kill(first["pg-0"], signal.SIGKILL)
        wait_for(lambda: _pids().get("pg-0") not in (None, first["pg-0"]), timeout=60)
        assert "supervisor process died; restarting it" in parent.output()

        parent.signal(signal.SIGKILL)
        parent.wait()
        # Orphaned children notice their parent is gone and stop gracefully.
        wait_for(lambda: Server.objects.count() == 0, timeout=60)
