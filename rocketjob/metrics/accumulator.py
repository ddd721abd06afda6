"""``Accumulator``: this process's not-yet-flushed metrics, per (scope, minute).

Worker threads add to it on every job end and slice; the flusher drains it every few
seconds into ``$inc`` writes, so a busy process writes a handful of documents per flush, not
one per job. It also keeps running totals since the process started, which the per-process
Prometheus endpoint (``manage.py rocketjob --metrics-port``) serves.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from rocketjob.metrics.numbers import Numbers
from rocketjob.metrics.store import MinuteMetrics

OUTCOMES = ("completed", "failed", "aborted")


class Counts(Numbers):
    """Mutable numbers of one scope: a minute not flushed yet, or the process's running
    totals."""

    def copy(self) -> Counts:
        """An independent copy (the bucket dictionaries too)."""
        return Counts(**self.numbers())

    def as_minute(self, minute: datetime, job_class: str, job_id: str | None) -> MinuteMetrics:
        return MinuteMetrics(minute=minute, job_class=job_class, job_id=job_id, **self.numbers())


#: (job class, job id or None, minute number since the epoch)
Key = tuple[str, str | None, int]


def _minute_number(at: datetime | None) -> int:
    return int((time.time() if at is None else at.timestamp()) // 60)


class Accumulator:
    """Thread-safe: one lock, held only for a few dictionary updates."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[Key, Counts] = {}
        self._totals: dict[str, Counts] = {}

    def _counts(self, key: Key) -> Counts:
        counts = self._pending.get(key)
        if counts is None:
            counts = self._pending[key] = Counts()
        return counts

    def job_ended(
        self,
        job_class: str,
        outcome: str,
        run_seconds: float | None = None,
        latency_seconds: float | None = None,
        at: datetime | None = None,
    ) -> None:
        """A job completed, failed or was aborted (run time and latency when it had run)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
        key = (job_class, None, _minute_number(at))
        with self._lock:
            self._counts(key).add_end(outcome, run_seconds, latency_seconds)
            total = self._totals.get(job_class)
            if total is None:
                total = self._totals[job_class] = Counts()
            total.add_end(outcome, run_seconds, latency_seconds)

    def records(self, job_class: str, job_id: str, count: int, at: datetime | None = None) -> None:
        """``count`` batch records of one job were processed."""
        if count <= 0:
            return
        minute = _minute_number(at)
        with self._lock:
            self._counts((job_class, job_id, minute)).records += count
            self._counts((job_class, None, minute)).records += count
            total = self._totals.get(job_class)
            if total is None:
                total = self._totals[job_class] = Counts()
            total.records += count

    def queued(self, depths: dict[str, int], at: datetime | None = None) -> None:
        """A queue depth sample: queued jobs per class (gauge; the largest of a minute wins)."""
        minute = _minute_number(at)
        with self._lock:
            for job_class, depth in depths.items():
                counts = self._counts((job_class, None, minute))
                counts.queued = max(counts.queued or 0, depth)

    def drain(self) -> list[MinuteMetrics]:
        """Everything not flushed yet (and forget it: the caller writes or restores it)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return [
            counts.as_minute(datetime.fromtimestamp(minute * 60, UTC), job_class, job_id)
            for (job_class, job_id, minute), counts in pending.items()
        ]

    def restore(self, minutes: list[MinuteMetrics]) -> None:
        """Put back minutes whose flush failed; they go out with the next flush."""
        with self._lock:
            for m in minutes:
                key = (m.job_class, m.job_id, _minute_number(m.minute))
                self._counts(key).merge(m)

    def totals(self) -> dict[str, Counts]:
        """A copy of the running totals per class since this process started."""
        with self._lock:
            return {name: c.copy() for name, c in self._totals.items()}

    def reset_after_fork(self) -> None:
        """In a forked child: a fresh lock, and the parent's numbers are the parent's to flush."""
        self._lock = threading.Lock()
        self._pending = {}
        self._totals = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)
