"""Time limits: a job that runs past its ``time_limit`` fails with ``TimeLimitExceeded``.

Python has no safe way to stop a thread from outside; the least bad one is
``PyThreadState_SetAsyncExc``, which makes the thread raise an exception at its next Python
instruction. The worker opens a :class:`PerformWindow` around ``perform`` only (never around
the writes that complete or fail the job), and the watchdog raises only while it is open, so
the exception lands in ``perform`` and the job fails with it like with any exception there
(Retry applies).

A thread blocked in C code (``time.sleep``, a socket read, a lock, a C extension's loop) runs
no Python instruction, so it sees the exception only when that call returns. If it has not
left the job ``time_limit_grace_seconds`` after the limit, the watchdog fails the job itself
and the worker thread is *abandoned*: it is told to stop, the pool starts a new thread in its
slot, and the old thread exits when its C call returns (its late completion conflicts with the
recorded failure and is dropped). A thread blocked forever stays blocked, as a daemon thread,
until the process exits.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rocketjob.exceptions import TimeLimitExceeded

logger = logging.getLogger(__name__)


def async_raise(thread_ident: int, exception: type[BaseException]) -> bool:
    """Make the thread ``thread_ident`` raise ``exception`` at its next Python instruction."""
    changed = ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_ident), ctypes.py_object(exception)
    )
    return bool(changed == 1)


class PerformWindow:
    """The span of a worker thread (its ``perform``) in which a time limit may raise."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: int | None = None

    @contextmanager
    def open(self) -> Iterator[None]:
        with self._lock:
            self._thread = threading.get_ident()
        try:
            yield
        finally:
            with self._lock:
                self._thread = None

    def interrupt(self) -> bool:
        """Raise TimeLimitExceeded in the thread if it is inside the window; else False."""
        with self._lock:
            if self._thread is None:
                return False
            return async_raise(self._thread, TimeLimitExceeded)


class TimeLimitWatch:
    """One job's watchdog: interrupt at ``seconds``, call ``on_stuck`` ``grace`` later."""

    def __init__(
        self,
        seconds: float,
        grace: float,
        window: PerformWindow,
        on_stuck: Callable[[], None],
        job_id: str,
    ) -> None:
        self.seconds = seconds
        self.grace = grace
        self.window = window
        self.on_stuck = on_stuck
        self.job_id = job_id
        self._lock = threading.Lock()
        self._done = False
        self._timer = self._schedule(seconds, self._expire)

    def _schedule(self, seconds: float, action: Callable[[], None]) -> threading.Timer:
        timer = threading.Timer(seconds, action)
        timer.daemon = True
        timer.name = f"rocketjob-time-limit-{self.job_id}"
        timer.start()
        return timer

    def cancel(self) -> None:
        """The worker left the job: nothing more to do."""
        with self._lock:
            self._done = True
            self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            if self._done or not self.window.interrupt():
                return
            logger.warning(
                "time limit of %s s exceeded: interrupting perform",
                self.seconds,
                extra={"job_id": self.job_id},
            )
            self._timer = self._schedule(self.grace, self._stuck)

    def _stuck(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        logger.error(
            "perform did not stop within %s s of its time limit (blocked in C code?): "
            "failing the job and abandoning its worker thread",
            self.grace,
            extra={"job_id": self.job_id},
        )
        self.on_stuck()
