"""``ProcessGroup`` exit codes: how a stop of ``--processes N`` is judged clean or failed.

Plain Python children stand in for supervisors here: what is under test is the parent's
bookkeeping of real child processes and real signals, not Django start-up.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from rocketjob.runtime.processes import ProcessGroup
from tests.helpers import wait_for

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _handles_term_with_3(ready: Path) -> list[str]:
    """A child that installs a SIGTERM handler exiting 3, then creates ``ready``."""
    script = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(3))\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)"
    )
    return [sys.executable, "-c", script]


def _run_in_thread(group: ProcessGroup) -> tuple[threading.Thread, list[int]]:
    """Run the group off the main thread, so it installs no handlers in the test runner."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(group.run()), daemon=True)
    thread.start()
    wait_for(lambda: len(group.children) == len(group.commands), timeout=10)
    return thread, result


def _stop(group: ProcessGroup, thread: threading.Thread, result: list[int]) -> int:
    group.forward(signal.SIGTERM)
    thread.join(30)
    assert not thread.is_alive()
    return result[0]


def test_a_child_killed_by_the_forwarded_stop_signal_counts_as_a_clean_stop() -> None:
    # A child still starting up has no handler: SIGTERM kills it, and that is no failure.
    group = ProcessGroup([SLEEPER, SLEEPER])
    thread, result = _run_in_thread(group)
    assert _stop(group, thread, result) == 0
    assert {child.returncode for child in group.children.values()} == {-signal.SIGTERM}


def test_a_child_that_exits_with_an_error_while_stopping_fails_the_group(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    group = ProcessGroup([SLEEPER, _handles_term_with_3(ready)])
    thread, result = _run_in_thread(group)
    wait_for(ready.exists, timeout=30)
    assert _stop(group, thread, result) == 3


def test_a_child_killed_by_another_signal_while_stopping_fails_the_group() -> None:
    group = ProcessGroup([SLEEPER])
    thread, result = _run_in_thread(group)
    child = group.children[0]
    group.stopping = True  # as if a stop had begun, but the child dies of something else
    child.kill()
    thread.join(30)
    assert result == [signal.SIGKILL]
