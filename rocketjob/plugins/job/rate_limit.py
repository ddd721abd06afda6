"""Rate limits: at most N starts of a job class per time window, across every server.

::

    class PartnerApiJob(Job):
        rate_limit = (100, 60)     # at most 100 starts per minute, whatever the servers

A **fixed** window: time is cut into consecutive windows of ``rate_limit[1]`` seconds aligned
on the Unix epoch (a 60 s window starts at every full minute, UTC), and each window allows
``rate_limit[0]`` starts. A burst of N at the end of one window and N at the start of the
next is therefore possible (2N within a window's length); choose the window accordingly.
A start belongs to the window of the job's ``started_at`` (the claim's time).

The counts live in MongoDB, in the small ``rocketjob_rate_limits`` collection: one document
per class and window, ``{_id: "<class>|<window start>", count, expires_at}``, incremented by
one atomic ``update_one`` whose filter requires ``count < limit`` (and, for the first start of
a window, an upsert; two upserts racing are settled by the ``_id`` unique index and the loser
retries the conditional increment). So however many workers and processes claim at once, no
more than ``limit`` increments can succeed in a window. A TTL index removes windows a minute
after they end.

The check runs at claim, after every other throttle (so a job that another throttle holds back
does not use up a start): a claimed job over the limit goes back to the queue with
``throttled_by = "rate_limit"``, and the worker skips its class until the window ends.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pymongo.errors import DuplicateKeyError

from rocketjob import queries
from rocketjob.exceptions import ConfigurationError
from rocketjob.plugins.job.model import as_utc, utc_now

RATE_LIMITS_COLLECTION = "rocketjob_rate_limits"
#: Windows are kept this long after they end (then removed by the TTL index).
KEEP_SECONDS = 60


class RateLimitMixin:
    """The ``rate_limit`` class attribute and the atomic per-window start counter."""

    #: (starts, window seconds): at most that many starts of the class per window.
    rate_limit: ClassVar[tuple[int, float] | None] = None

    started_at: Any
    _class_name: str

    #: Monotonic time at which the current window ends, set when the limit held.
    _rocketjob_rate_window_end: float | None = None

    @classmethod
    def rocketjob_rate_limit(cls) -> tuple[int, float] | None:
        """The validated ``rate_limit``, or None."""
        limit = cls.rate_limit
        if limit is None:
            return None
        try:
            starts, seconds = int(limit[0]), float(limit[1])
        except (TypeError, ValueError, IndexError) as exc:
            raise ConfigurationError(
                f"{cls.__name__}.rate_limit must be (starts, window seconds), got {limit!r}"
            ) from exc
        if starts < 1 or seconds <= 0:
            raise ConfigurationError(
                f"{cls.__name__}.rate_limit needs starts >= 1 and seconds > 0, got {limit!r}"
            )
        return starts, seconds

    def rocketjob_rate_limit_exceeded(self) -> bool:
        """Take one start of this job's window; True (and nothing taken) when it is full."""
        limit = self.rocketjob_rate_limit()
        if limit is None:
            return False
        starts, seconds = limit
        at = as_utc(self.started_at) or utc_now()
        epoch = at.timestamp()
        window_start = math.floor(epoch / seconds) * seconds
        key = f"{self._class_name}|{window_start:.3f}"
        collection = windows_collection(self._get_collection().database)  # type: ignore[attr-defined]
        if take_start(collection, key, starts, window_start + seconds):
            return False
        self._rocketjob_rate_window_end = time.monotonic() + max(
            0.0, window_start + seconds - time.time()
        )
        return True

    def rocketjob_rate_window_end(self) -> float | None:
        """After the limit held: the monotonic time its window ends (skip the class until)."""
        return self._rocketjob_rate_window_end


def take_start(collection: Any, key: str, limit: int, window_end: float) -> bool:
    """Atomically count one start in window ``key`` if fewer than ``limit`` were counted."""
    below = queries.by_id(key, {"count": {"$lt": limit}})
    increment = {"$inc": {"count": 1}}
    if collection.update_one(below, increment).modified_count:
        return True
    expires = datetime.fromtimestamp(window_end, UTC) + timedelta(seconds=KEEP_SECONDS)
    try:
        collection.update_one(
            below, {**increment, "$setOnInsert": {"expires_at": expires}}, upsert=True
        )
        return True
    except DuplicateKeyError:
        # The window exists and is full, or another process created it just now: retry the
        # conditional increment once, which is then exact.
        return bool(collection.update_one(below, increment).modified_count)


_indexed: set[tuple[int, str]] = set()


def windows_collection(database: Any) -> Any:
    """The windows collection of the jobs' database, with its TTL index (created once per
    process and database, on first use: importing the connection here would be a cycle)."""
    collection = database[RATE_LIMITS_COLLECTION]
    marker = (id(database.client), database.name)
    if marker not in _indexed:
        collection.create_index("expires_at", name="rocketjob_rate_ttl", expireAfterSeconds=0)
        _indexed.add(marker)
    return collection
