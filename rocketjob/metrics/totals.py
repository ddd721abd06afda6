"""The cluster's counters for Prometheus: every class's numbers over the counting window.

Summing every class-scope document of the retention window on each scrape grows with the
data (3.1 s for 50 classes and one day of minutes on the embedded server, about 20 s for a
week). The counting window is made of whole quarter hours (:data:`BLOCK`), from the first
that starts after ``now - metrics_retention_seconds`` to now, so no document inside it
expires (the TTL removes only older minutes) and every web process computes the same sums.
The settled part (blocks that ended more than :func:`settle_seconds` ago) is summed once and
kept per database; a scrape then reads only the open part (at most about 16 minutes), and
as the window moves on, one small aggregate subtracts the blocks that left it and another
adds the blocks that settled.
The settled sums are recomputed from scratch every :data:`REFRESH_SECONDS`, so a minute
flushed late (after a database outage) counts within hours.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from rocketjob.conf import get_settings
from rocketjob.connection import jobs_db
from rocketjob.metrics.accumulator import Counts
from rocketjob.metrics.store import MinuteMetrics, class_totals, settle_seconds
from rocketjob.plugins.job.model import utc_now

#: The window moves on, and settles, in blocks of this many minutes.
BLOCK = timedelta(minutes=15)
#: The settled sums are read again from scratch after this many seconds.
REFRESH_SECONDS = 6 * 3600.0


def _floor_block(moment: datetime) -> datetime:
    block_minutes = int(BLOCK.total_seconds() // 60)
    return moment.replace(
        minute=moment.minute - moment.minute % block_minutes, second=0, microsecond=0
    )


def window_start(now: datetime) -> datetime:
    """The first whole block that lies entirely inside the retention window."""
    retention = timedelta(seconds=int(get_settings().metrics_retention_seconds))
    return _floor_block(now - retention) + BLOCK


def _negated(m: MinuteMetrics) -> MinuteMetrics:
    return MinuteMetrics(minute=m.minute, job_class=m.job_class, **m.numbers(sign=-1))


def _add(into: dict[str, Counts], minutes: dict[str, MinuteMetrics]) -> None:
    for job_class, numbers in minutes.items():
        into.setdefault(job_class, Counts()).merge(numbers)


def _empty(c: Counts) -> bool:
    counters = (c.completed, c.failed, c.aborted, c.run_count, c.latency_count, c.records)
    buckets = (*c.run_buckets.values(), *c.latency_buckets.values())
    return not any(counters) and not any(buckets)


@dataclass
class _Settled:
    start: datetime
    end: datetime
    read_at: float
    totals: dict[str, Counts]


class ClusterTotals:
    """The settled sums of each database, behind one lock (scrapes are rare and serialized)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settled: dict[str, _Settled] = {}

    def totals(self, now: datetime | None = None) -> dict[str, Counts]:
        """Every class's numbers over the counting window (see the module docstring)."""
        now = now or utc_now()
        start = window_start(now)
        end = max(start, _floor_block(now - timedelta(seconds=settle_seconds())))
        database = jobs_db().name
        with self._lock:
            settled = self._settled.get(database)
            if (
                settled is None
                or time.monotonic() - settled.read_at > REFRESH_SECONDS
                or not settled.start <= start <= settled.end <= end
            ):
                settled = _Settled(start, end, time.monotonic(), {})
                _add(settled.totals, class_totals(start, end))
            else:
                if settled.start < start:  # the oldest blocks left the window
                    gone = class_totals(settled.start, start)
                    _add(settled.totals, {k: _negated(v) for k, v in gone.items()})
                    settled.start = start
                if settled.end < end:  # more blocks settled
                    _add(settled.totals, class_totals(settled.end, end))
                    settled.end = end
            self._settled[database] = settled
            result = {k: v.copy() for k, v in settled.totals.items()}
        for job_class, numbers in class_totals(end, None).items():
            result.setdefault(job_class, Counts()).merge(numbers)
        return {k: v for k, v in sorted(result.items()) if not _empty(v)}


#: This process's cache, used by Mission Control's Prometheus URL.
CLUSTER_TOTALS = ClusterTotals()
