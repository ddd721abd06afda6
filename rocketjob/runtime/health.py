"""Process-wide record of when this process last saw the database fail.

After an outage every server's heartbeat is stale at once. A supervisor that judged zombies
the moment the database came back would declare its healthy peers dead and re-queue their
in-flight jobs, which would then run twice. So zombie detection waits until this process has
talked to the database without error for a whole zombie window, giving every live server time
to heartbeat again. Processes that never record a failure (a web server, a test) are stable.
"""

from __future__ import annotations

import threading
import time

_lock = threading.Lock()
_last_failure: float | None = None


def record_failure() -> None:
    """Note that a database call just failed."""
    global _last_failure
    with _lock:
        _last_failure = time.monotonic()


def seconds_since_failure() -> float | None:
    """Seconds since the last recorded failure, or None if there was none."""
    with _lock:
        last = _last_failure
    return None if last is None else time.monotonic() - last


def is_stable(window_seconds: float) -> bool:
    """Whether the database has worked for at least ``window_seconds`` in this process."""
    elapsed = seconds_since_failure()
    return elapsed is None or elapsed >= window_seconds


def reset() -> None:
    """Forget past failures (tests)."""
    global _last_failure
    with _lock:
        _last_failure = None
