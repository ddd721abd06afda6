"""Starting real ``manage.py rocketjob`` processes for the worker acceptance tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """A ``manage.py rocketjob`` subprocess whose output goes to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "rocketjob", *args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signum)

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"worker did not exit; output:\n{self.output()}") from exc

    def close(self) -> None:
        if self.process.poll() is None:
            self.signal(signal.SIGKILL)
            self.process.wait(30)
        self._log.close()


@contextlib.contextmanager
def workers(args: list[str], env: dict[str, str], log_path: Path) -> Iterator[WorkerProcess]:
    """A worker process that is SIGKILLed at exit if the test left it running."""
    process = WorkerProcess(args, env, log_path)
    try:
        yield process
    finally:
        process.close()


def run_manage(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a ``manage.py`` command to completion, capturing its output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_command(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a short ``manage.py rocketjob`` control command to completion."""
    return run_manage(["rocketjob", *args], env)


def read_records(path: Path) -> Counter[tuple[str, str]]:
    """Count the ``(kind, job_id)`` lines a test job appended to its record file."""
    if not path.exists():
        return Counter()
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return Counter((kind, job_id) for kind, job_id, *_ in lines)
