"""``--processes N``: run N supervisor processes from one command.

One CPython process runs one Python thread at a time, so CPU-bound jobs need processes. The
parent starts each child as a fresh ``manage.py rocketjob`` (spawned, not forked: forking a
process that holds MongoDB connections and threads is unsafe), forwards SIGTERM/SIGINT to them,
restarts a child that dies abnormally (not one that exits cleanly after a ``stop`` event),
and exits when all children have. Children run in their own process group so a terminal's
Ctrl-C reaches them once, through the parent, and they stop by themselves if the parent dies.

A child still importing Django when the stop signal arrives has no handler yet and dies of
the signal itself. That is a clean stop, not a failure: a child installs its handlers before
it registers or claims anything, so one killed earlier held no work.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from rocketjob.runtime.backoff import Backoff

logger = logging.getLogger(__name__)


def child_command(options: list[str]) -> list[str]:
    """The command line that runs ``manage.py rocketjob`` with ``options`` in a child."""
    script = Path(sys.argv[0])
    if script.suffix == ".py" and script.exists():
        return [sys.executable, str(script.resolve()), "rocketjob", *options]
    return [sys.executable, "-m", "django", "rocketjob", *options]


class ProcessGroup:
    def __init__(self, commands: list[list[str]]) -> None:
        self.commands = commands
        self.children: dict[int, subprocess.Popen[bytes]] = {}
        self.stopping = False
        self._signals = 0
        self._forwarded: set[int] = set()
        self._wake = threading.Event()

    def _spawn(self, index: int) -> None:
        self.children[index] = subprocess.Popen(self.commands[index], start_new_session=True)
        logger.info(
            "started supervisor process", extra={"index": index, "pid": self.children[index].pid}
        )

    def forward(self, signum: int, frame: Any = None) -> None:
        self.stopping = True
        self._signals += 1
        self._forwarded.add(signum)
        for child in self.children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signum)
        self._wake.set()

    def run(self) -> int:
        """Run until every child has exited; returns the worst exit code."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.forward)
            signal.signal(signal.SIGINT, self.forward)
        for index in range(len(self.commands)):
            self._spawn(index)
        backoffs = {index: Backoff(base=1.0, cap=30.0) for index in self.children}
        restart_at: dict[int, float] = {}
        codes: dict[int, int] = {}
        while True:
            for index, child in list(self.children.items()):
                code = child.poll()
                if code is None or index in restart_at or index in codes:
                    continue
                if self.stopping or code == 0:
                    codes[index] = self._stop_code(index, code)
                    continue
                delay = backoffs[index].next_delay()
                logger.error(
                    "supervisor process died; restarting it",
                    extra={"index": index, "pid": child.pid, "exit_code": code, "delay": delay},
                )
                restart_at[index] = time.monotonic() + delay
            for index, when in list(restart_at.items()):
                if self.stopping:
                    del restart_at[index]
                    codes[index] = self.children[index].returncode or 1
                elif time.monotonic() >= when:
                    del restart_at[index]
                    self._spawn(index)
            if len(codes) == len(self.commands):
                return max((abs(c) for c in codes.values()), default=0)
            self._wake.wait(0.2)
            self._wake.clear()

    def _stop_code(self, index: int, code: int) -> int:
        """A child killed by the stop signal we forwarded, before it could handle it, stopped."""
        if code < 0 and -code in self._forwarded:
            logger.info(
                "supervisor process stopped before it had started",
                extra={"index": index, "signal": signal.Signals(-code).name},
            )
            return 0
        return code
