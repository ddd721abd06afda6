"""A fleet of named ``manage.py rocketjob`` processes that tests kill and restart, and the
side-effect counts the reliability tests judge the outcome by."""

from __future__ import annotations

import random
import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rocketjob.connection import jobs_db
from rocketjob.runtime.server import Server
from tests.acceptance.workers_support import WorkerProcess
from tests.helpers import wait_for
from tests.jobsapp.runtime_jobs import COMPLETIONS, PERFORMS

#: Every random choice of the suite comes from this seed, so a failure can be replayed.
SEED = 20261124


class Fleet:
    """Servers ``<prefix>-0`` .. ``<prefix>-N``; a killed one is restarted under its name,
    which takes over its dead predecessor and re-queues its jobs at once."""

    def __init__(
        self,
        size: int,
        workers: int,
        env: dict[str, str],
        log_dir: Path,
        prefix: str = "rel",
        shutdown_timeout: float = 30.0,
    ) -> None:
        self.workers = workers
        self.shutdown_timeout = shutdown_timeout
        self.env = env
        self.log_dir = log_dir
        self.names = [f"{prefix}-{n}" for n in range(size)]
        self.processes: dict[str, WorkerProcess] = {}
        self.kills: Counter[str] = Counter()
        self._starts = 0

    def start(self, name: str) -> None:
        self._starts += 1
        args = ["--workers", str(self.workers), "--name", name]
        args += ["--shutdown-timeout", str(self.shutdown_timeout)]
        log = self.log_dir / f"{name}.{self._starts}.log"
        self.processes[name] = WorkerProcess(args, self.env, log)

    def start_all(self, wait: bool = True) -> None:
        for name in self.names:
            self.start(name)
        if wait:
            wait_for(lambda: Server.objects(state="running").count() == len(self.names), 90)

    def kill_and_restart(self, rng: random.Random) -> str:
        """SIGKILL one server chosen by ``rng``, reap it, and start its replacement."""
        name = rng.choice(self.names)
        victim = self.processes[name]
        victim.signal(signal.SIGKILL)
        victim.wait(30)
        victim.close()
        self.kills[name] += 1
        self.start(name)
        return name

    def is_running(self, name: str) -> bool:
        """Whether the current process named ``name`` has registered and is running."""
        server = Server.objects(name=name).first()
        return bool(server and server.pid == self.processes[name].pid and server.state == "running")

    def stop_all(self) -> None:
        """SIGTERM every server once it is up, and expect a graceful exit from each.

        A process restarted just before has to be up first: one still importing Django has
        no handler yet and would simply die of the signal (harmless, but not what this
        checks)."""
        wait_for(lambda: all(self.is_running(name) for name in self.processes), 90)
        for process in self.processes.values():
            process.signal(signal.SIGTERM)
        for process in self.processes.values():
            assert process.wait(90) == 0, process.output()[-3000:]

    def close(self) -> None:
        for process in self.processes.values():
            process.close()


@contextmanager
def fleet(
    size: int, workers: int, env: dict[str, str], log_dir: Path, **options: Any
) -> Iterator[Fleet]:
    group = Fleet(size, workers, env, log_dir, **options)
    try:
        group.start_all()
        yield group
    finally:
        group.close()


def side_effects(kind: str) -> Counter[str]:
    """How many times each job id was performed (``PERFORMS``) or completed."""
    assert kind in (PERFORMS, COMPLETIONS)
    return Counter(doc["job_id"] for doc in jobs_db()[kind].find({}, {"job_id": 1}))


def workers_of(kind: str, job_id: str) -> list[Any]:
    return [doc["worker"] for doc in jobs_db()[kind].find({"job_id": job_id})]
