"""Dashboard points, summed from the per-minute metrics documents and cached once settled.

The dashboard polls every 5 s. Read whole, the day window is 1,440 documents per class per
poll (72,000 at 50 classes: 20 s per poll on the embedded server), a cost that grows with the
data. A point whose minutes all ended more than :func:`settle_seconds` ago no longer changes
(every server flushes within ``metrics_flush_seconds``), so this process keeps its summary and
a poll reads only the open points: the last minute or two of the hour window, the current
quarter hour of the day window. A cached point is read again after :data:`CACHE_SECONDS`
plus a random spread (so a minute flushed late, after a database outage, still shows, and the
re-reads of one window do not all fall on the same poll). Keys include the database name.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from rocketjob.connection import jobs_db
from rocketjob.metrics import BUCKET_LABELS, BUCKETS
from rocketjob.metrics.store import MinuteMetrics, class_series, minute_of, settle_seconds

#: A cached point is read again after this many seconds (plus up to as many again, at random).
CACHE_SECONDS = 600.0
#: Cached points kept at most (a day of quarter hours for a few hundred class selections).
MAX_CACHED = 20_000


def quantile(q: float, buckets: dict[str, int]) -> float | None:
    """The ``q`` quantile of non-cumulative bucket counts, interpolated inside its bucket."""
    total = sum(buckets.get(label, 0) for label in BUCKET_LABELS)
    if total <= 0:
        return None
    rank = q * total
    below, lower = 0, 0.0
    for bound, label in zip(BUCKETS, BUCKET_LABELS, strict=True):
        count = buckets.get(label, 0)
        if count and below + count >= rank:
            if math.isinf(bound):
                return lower  # beyond the largest finite bound: report that bound
            return lower + (bound - lower) * (rank - below) / count
        below += count
        lower = bound if not math.isinf(bound) else lower
    return lower


@dataclass(frozen=True)
class PointSummary:
    """What one point of a chart shows, and what it adds to the payload's totals."""

    values: dict[str, float | None]
    totals: dict[str, int]
    classes: frozenset[str]


class _Point:
    """What a point accumulates from its minutes (and classes)."""

    def __init__(self) -> None:
        self.completed = self.failed = self.aborted = 0
        self.latency_sum, self.latency_count = 0.0, 0
        self.latency_buckets: dict[str, int] = {}
        self.queued_by_minute: dict[datetime, int] = {}
        self.classes: set[str] = set()

    def add(self, m: MinuteMetrics) -> None:
        self.completed += m.completed
        self.failed += m.failed
        self.aborted += m.aborted
        self.latency_sum += m.latency_seconds_sum
        self.latency_count += m.latency_count
        for label, count in m.latency_buckets.items():
            self.latency_buckets[label] = self.latency_buckets.get(label, 0) + count
        if m.queued is not None:  # classes add up within a minute; the point keeps the peak
            minute = minute_of(m.minute)
            self.queued_by_minute[minute] = self.queued_by_minute.get(minute, 0) + m.queued
        if m.job_class:
            self.classes.add(m.job_class)

    def summary(self, step_minutes: int) -> PointSummary:
        avg = self.latency_sum / self.latency_count if self.latency_count else None
        values = {
            "completed": self.completed / step_minutes,
            "failed": self.failed / step_minutes,
            "aborted": self.aborted / step_minutes,
            "queued": max(self.queued_by_minute.values()) if self.queued_by_minute else None,
            "latency_avg": avg,
            "latency_p95": quantile(0.95, self.latency_buckets),
        }
        totals = {"completed": self.completed, "failed": self.failed, "aborted": self.aborted}
        return PointSummary(values, totals, frozenset(self.classes))


def summarize(
    minutes: Iterable[MinuteMetrics], times: list[datetime], step_minutes: int
) -> list[PointSummary]:
    """One summary per point starting at ``times`` (evenly spaced by ``step_minutes``)."""
    points = [_Point() for _ in times]
    step = timedelta(minutes=step_minutes)
    for m in minutes:
        offset = (minute_of(m.minute) - times[0]) // step
        if 0 <= offset < len(times):
            points[offset].add(m)
    return [p.summary(step_minutes) for p in points]


def _runs(times: list[datetime], step: timedelta) -> Iterator[list[datetime]]:
    """``times`` cut into runs of consecutive points (one query each)."""
    run: list[datetime] = []
    for t in times:
        if run and t != run[-1] + step:
            yield run
            run = []
        run.append(t)
    if run:
        yield run


#: (database, step minutes, job class or "", point start)
_Key = tuple[str, int, str, datetime]


class PointCache:
    """Settled points of this process, thread-safe (a web server runs requests in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._points: dict[_Key, tuple[float, PointSummary]] = {}

    def points(
        self, times: list[datetime], step_minutes: int, job_class: str | None, now: datetime
    ) -> list[PointSummary]:
        """The summaries of the points starting at ``times``: cached, or read now."""
        step = timedelta(minutes=step_minutes)
        database = jobs_db().name
        settled_until = now - timedelta(seconds=settle_seconds())
        clock = time.monotonic()
        found: dict[datetime, PointSummary] = {}
        with self._lock:
            for t in times:
                cached = self._points.get((database, step_minutes, job_class or "", t))
                if cached is not None and cached[0] > clock:
                    found[t] = cached[1]
        missing = [t for t in times if t not in found]
        for run in _runs(missing, step):
            minutes = class_series(run[0], until=run[-1] + step, job_class=job_class)
            for t, summary in zip(run, summarize(minutes, run, step_minutes), strict=True):
                found[t] = summary
                if t + step <= settled_until:
                    self._keep((database, step_minutes, job_class or "", t), summary, clock)
        return [found[t] for t in times]

    def _keep(self, key: _Key, summary: PointSummary, clock: float) -> None:
        expires = clock + CACHE_SECONDS * (1.0 + random.random())  # a spread, not a secret
        with self._lock:
            if len(self._points) >= MAX_CACHED:
                self._points = {k: v for k, v in self._points.items() if v[0] > clock}
                if len(self._points) >= MAX_CACHED:
                    self._points.clear()
            self._points[key] = (expires, summary)

    def clear(self) -> None:
        with self._lock:
            self._points.clear()


#: The process's cache, shared by every dashboard request.
POINTS = PointCache()
