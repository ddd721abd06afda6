"""Retrying database calls through an outage: exponential backoff with jitter.

Every loop of the runtime (claims, heartbeats, event polling, completions) goes through
:func:`retry_db`, so a database that disappears for a while makes workers log, wait and
reconnect instead of dying. Jitter keeps a fleet of workers from reconnecting in lockstep.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from pymongo.errors import PyMongoError

from rocketjob.runtime import health

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Backoff:
    """Delays of ``base * 2**attempt`` seconds, capped, each scaled by a random 0.5-1.5."""

    def __init__(self, base: float = 0.1, cap: float = 5.0) -> None:
        self.base = base
        self.cap = cap
        self.attempt = 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * (2**self.attempt)) * random.uniform(0.5, 1.5)
        self.attempt = min(self.attempt + 1, 30)
        return delay

    def reset(self) -> None:
        self.attempt = 0


def retry_db(
    operation: Callable[[], T],
    what: str,
    stop: threading.Event | None = None,
    timeout: float | None = None,
    cap: float = 5.0,
) -> T:
    """Run ``operation`` until it does not raise PyMongoError.

    Gives up (re-raising the last error) when ``stop`` is set or ``timeout`` seconds pass.
    The first failure and every tenth are logged at WARNING, the recovery at INFO.
    """
    backoff = Backoff(cap=cap)
    deadline = None if timeout is None else time.monotonic() + timeout
    failures = 0
    while True:
        try:
            result = operation()
        except PyMongoError as exc:
            health.record_failure()
            failures += 1
            if failures == 1 or failures % 10 == 0:
                logger.warning(
                    "database unavailable, retrying: %s",
                    what,
                    extra={"operation": what, "failures": failures, "error": str(exc)[:500]},
                )
            delay = backoff.next_delay()
            if deadline is not None and time.monotonic() + delay > deadline:
                raise
            if stop is not None:
                if stop.wait(delay):
                    raise
            else:
                time.sleep(delay)
            continue
        if failures:
            logger.info("database available again: %s", what, extra={"failures": failures})
        return result
