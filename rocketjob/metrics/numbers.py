"""``Numbers``: the metrics kept for one scope (a job class, or one batch job).

One definition serves the three places that hold them: a stored minute
(:class:`rocketjob.metrics.store.MinuteMetrics`), a worker's pending minute and its running
totals (:class:`rocketjob.metrics.accumulator.Counts`). Counters and sums are added when
numbers meet (``$inc`` in the database, :meth:`Numbers.merge` in memory); ``queued`` is a
gauge, the largest sample of a minute wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rocketjob.metrics import bucket_for

#: Integer counters, added.
COUNTERS = ("completed", "failed", "aborted", "run_count", "latency_count", "records")
#: Float sums, added.
SUMS = ("run_seconds_sum", "latency_seconds_sum")
#: Histograms: {bucket label: count}, added per label.
BUCKET_FIELDS = ("run_buckets", "latency_buckets")


@dataclass(kw_only=True)
class Numbers:
    """Counts of job ends, run-time and queue-latency sums and histograms, records, and the
    queue-depth gauge (None when not sampled)."""

    completed: int = 0
    failed: int = 0
    aborted: int = 0
    run_seconds_sum: float = 0.0
    run_count: int = 0
    run_buckets: dict[str, int] = field(default_factory=dict)
    latency_seconds_sum: float = 0.0
    latency_count: int = 0
    latency_buckets: dict[str, int] = field(default_factory=dict)
    records: int = 0
    queued: int | None = None

    def numbers(self, sign: int = 1) -> dict[str, Any]:
        """The numbers as keyword arguments for a new instance (bucket dictionaries copied);
        ``sign=-1`` negates the added ones (the gauge is left out then)."""
        values: dict[str, Any] = {name: sign * getattr(self, name) for name in (*COUNTERS, *SUMS)}
        for name in BUCKET_FIELDS:
            values[name] = {label: sign * count for label, count in getattr(self, name).items()}
        if sign == 1:
            values["queued"] = self.queued
        return values

    def add_end(self, outcome: str, run_seconds: float | None, latency: float | None) -> None:
        """One job end: ``outcome`` is completed, failed or aborted."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        if run_seconds is not None:
            self.run_seconds_sum += run_seconds
            self.run_count += 1
            label = bucket_for(run_seconds)
            self.run_buckets[label] = self.run_buckets.get(label, 0) + 1
        if latency is not None:
            self.latency_seconds_sum += latency
            self.latency_count += 1
            label = bucket_for(latency)
            self.latency_buckets[label] = self.latency_buckets.get(label, 0) + 1

    def merge(self, other: Numbers) -> None:
        """Add ``other``'s numbers to these (the gauge keeps the larger sample)."""
        for name in (*COUNTERS, *SUMS):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in BUCKET_FIELDS:
            mine: dict[str, int] = getattr(self, name)
            for label, count in getattr(other, name).items():
                mine[label] = mine.get(label, 0) + count
        if other.queued is not None:
            self.queued = max(self.queued or 0, other.queued)
