"""Small helpers shared by tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.05) -> T:
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout``.

    Tests never sleep a fixed time to wait for a state: on a loaded machine that is flaky,
    and on a fast one it is slow.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


def race_in_processes(script: str, env: dict[str, str], processes: int = 4) -> list[list[str]]:
    """Run ``script`` (a format string with ``{start}``) in ``processes`` ``manage.py shell``
    processes that all begin at the same wall-clock second; return each one's last output line,
    split on commas. Used by the race tests of the exclusive-key plugins."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = script.format(start=time.time() + 6)
    running = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = []
    for process in running:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(out.strip().splitlines()[-1].split(","))
    return outputs


def race_in_threads(
    create: Callable[[], object], threads: int = 8
) -> tuple[list[object], list[BaseException]]:
    """Call ``create`` in ``threads`` threads released together; return what each returned
    and the DuplicateJobErrors raised (any other exception fails the test)."""
    import threading

    from rocketjob import DuplicateJobError

    created: list[object] = []
    refused: list[BaseException] = []
    start = threading.Barrier(threads)

    def run() -> None:
        start.wait()
        try:
            created.append(create())
        except DuplicateJobError as exc:
            refused.append(exc)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(60)
    return created, refused
