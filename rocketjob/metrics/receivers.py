"""Signal receivers that turn job ends into metrics (connected when the app is ready).

They run in the thread that applied the transition: a worker, or a web request that aborted
or failed a job in Mission Control. Each adds a few numbers to the in-memory accumulator
under one lock; nothing is written to the database here. Inline runs (``perform_now``) are
not work done by a worker and are not counted.
"""

from __future__ import annotations

from typing import Any

from rocketjob import signals
from rocketjob.conf import get_settings
from rocketjob.metrics import recorder
from rocketjob.plugins.job.model import as_utc


def latency_seconds(job: Any) -> float | None:
    """Queue latency: started_at minus the later of created_at and run_at."""
    started = as_utc(job.started_at)
    ready = [d for d in (as_utc(job.created_at), as_utc(job.run_at)) if d is not None]
    if started is None or not ready:
        return None
    return max(0.0, (started - max(ready)).total_seconds())


def record_end(job: Any, outcome: str) -> None:
    """Add one job end to this process's metrics."""
    if job.worker_name == "inline" or not get_settings().metrics_enabled:
        return
    ran = outcome != "aborted" and job.started_at is not None
    recorder.ACCUMULATOR.job_ended(
        type(job).__name__,
        outcome,
        run_seconds=job.duration_seconds() if ran else None,
        latency_seconds=latency_seconds(job) if ran else None,
    )
    recorder.ensure_flusher()


def _completed(sender: Any, job: Any, **_: Any) -> None:
    record_end(job, "completed")


def _failed(sender: Any, job: Any, **_: Any) -> None:
    record_end(job, "failed")


def _aborted(sender: Any, job: Any, **_: Any) -> None:
    record_end(job, "aborted")


signals.job_completed.connect(_completed, dispatch_uid="rocketjob-metrics-completed")
signals.job_failed.connect(_failed, dispatch_uid="rocketjob-metrics-failed")
signals.job_aborted.connect(_aborted, dispatch_uid="rocketjob-metrics-aborted")


def record_records(job: Any, count: int) -> None:
    """``count`` records of a batch job were processed by this worker (called per slice)."""
    if count <= 0 or job.worker_name == "inline" or not get_settings().metrics_enabled:
        return
    recorder.ACCUMULATOR.records(type(job).__name__, str(job.pk), count)
    recorder.ensure_flusher()
