"""Job metrics: per class and minute counts, run times and queue latency, in MongoDB.

Workers aggregate in memory (:mod:`rocketjob.metrics.accumulator`) and flush with atomic
``$inc`` writes (:mod:`rocketjob.metrics.store`) into ``rocketjob_metrics``, a small
collection with a TTL index, so every server contributes and Mission Control and Prometheus
read one place. The shape is described in docs/operations.md ("Monitoring").
"""

from __future__ import annotations

import math

#: Histogram bucket upper bounds in seconds, shared by run time and queue latency.
BUCKETS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    math.inf,
)


def bucket_label(bound: float) -> str:
    """The ``le`` label of a bound: ``"0.005"``, ``"1"``, ``"+Inf"``."""
    return "+Inf" if math.isinf(bound) else format(bound, "g")


#: The ``le`` labels of :data:`BUCKETS`, in order.
BUCKET_LABELS: tuple[str, ...] = tuple(bucket_label(b) for b in BUCKETS)


def bucket_for(seconds: float) -> str:
    """The label of the smallest bucket that holds ``seconds`` (non-cumulative counts)."""
    for bound, label in zip(BUCKETS, BUCKET_LABELS, strict=True):
        if seconds <= bound:
            return label
    return BUCKET_LABELS[-1]  # NaN


__all__ = ["BUCKETS", "BUCKET_LABELS", "bucket_for", "bucket_label"]
