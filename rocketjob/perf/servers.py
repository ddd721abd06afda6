"""The worker servers a benchmark runs on: existing ones, or a group it starts itself.

A benchmark pauses every live server, enqueues its work, and resumes them, so all workers
start together on a full queue (like Ruby's ``rocketjob_perf``). When no server is running it
starts ``manage.py rocketjob --processes P --workers W`` and stops it (SIGTERM) afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

from rocketjob.events import publish
from rocketjob.runtime.processes import child_command
from rocketjob.runtime.server import Server

#: Idle poll (and event poll) of servers the benchmark starts: a short poll makes every
#: worker claim within a fraction of a second of ``resume``.
STARTED_MAX_POLL_SECONDS = "0.5"


class BenchmarkError(RuntimeError):
    """The benchmark could not run (servers missing, did not react, work left over)."""


def live_servers() -> list[Server]:
    return [server for server in Server.objects() if not server.is_zombie()]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchmarkError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def worker_servers(
    processes: int, workers: int, log: Callable[[str], None]
) -> Iterator[tuple[bool, int, int]]:
    """Yield (started here, processes, workers per process); servers started here are
    stopped on exit. Existing servers are used as they are, and their shape reported."""
    existing = live_servers()
    if existing:
        log(f"using the {len(existing)} running server(s)")
        yield False, len(existing), max(int(s.max_workers or 0) for s in existing)
        return
    env = dict(os.environ)
    env.setdefault("ROCKETJOB_MAX_POLL_SECONDS", STARTED_MAX_POLL_SECONDS)
    env.setdefault("ROCKETJOB_LOG_LEVEL", "WARNING")
    options = ["--processes", str(processes), "--workers", str(workers)]
    if processes == 1:
        options = ["--workers", str(workers)]
    command = child_command(options)
    log(f"starting {processes} server process(es) with {workers} worker(s) each")
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        wait_until(
            lambda: (
                process.poll() is not None
                or sum(s.state == "running" for s in live_servers()) >= processes
            ),
            120,
            f"{processes} servers to start",
        )
        if process.poll() is not None:
            raise BenchmarkError(f"manage.py rocketjob exited with code {process.returncode}")
        yield True, processes, workers
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)


def pause_all() -> None:
    """Pause every live server and wait until each has stopped its workers."""
    publish("pause")
    wait_until(lambda: all(s.state == "paused" for s in live_servers()), 120, "servers to pause")


def resume_all() -> None:
    publish("resume")
