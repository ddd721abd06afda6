"""Chart series for the dashboard, built from the metrics store's per-minute documents.

The store keeps one document per (class, minute) and per (batch job, minute); this module
turns them into evenly spaced points: one per minute for the last hour, one per 15 minutes
for the last day. Counters are summed over a point's minutes (and over classes when no class
is chosen), queue depth is the largest sample in the point, and latency is the mean and the
95th percentile estimated from the histogram buckets, as Prometheus' ``histogram_quantile``
does. Points with no data are ``None`` for gauges and latencies (a gap) and 0 for counters.
Points are summed and cached by :mod:`mission_control.dashboard_points`, so a poll reads only
the minutes that can still change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mission_control.dashboard_points import POINTS
from rocketjob.metrics.store import job_series, metrics_collection, minute_of
from rocketjob.plugins.job.model import utc_now


@dataclass(frozen=True)
class Window:
    name: str
    label: str
    minutes: int
    step_minutes: int


WINDOWS = {
    "hour": Window("hour", "Last hour", 60, 1),
    "day": Window("day", "Last day", 24 * 60, 15),
}
_MINUTE = timedelta(minutes=1)
#: Names of the series a dashboard payload carries, in chart order.
SERIES = ("completed", "failed", "aborted", "queued", "latency_avg", "latency_p95")


def window_named(name: str | None) -> Window:
    """The window called ``name``; anything else is the last hour."""
    return WINDOWS.get(name or "", WINDOWS["hour"])


def known_classes(now: datetime | None = None) -> list[str]:
    """Classes with metrics in the last day, for the class selector."""
    since = minute_of(now or utc_now()) - timedelta(days=1)
    query = {"job_id": {"$eq": None}, "minute": {"$gte": since}}
    return sorted(str(name) for name in metrics_collection().distinct("job_class", query) if name)


def point_times(window: Window, now: datetime) -> list[datetime]:
    """Start of every point, oldest first; the last one holds the current minute."""
    step = window.step_minutes
    last = minute_of(now)
    last = last - timedelta(minutes=(last.hour * 60 + last.minute) % step)
    count = window.minutes // step + 1
    return [last - timedelta(minutes=step * i) for i in range(count - 1, -1, -1)]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def dashboard_payload(
    window: Window, job_class: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """The JSON the dashboard draws: times (ms since the epoch) and one list per series."""
    now = now or utc_now()
    times = point_times(window, now)
    points = POINTS.points(times, window.step_minutes, job_class or None, now)
    return {
        "window": window.name,
        "job_class": job_class or "",
        "step_seconds": window.step_minutes * 60,
        "times": [int(t.timestamp() * 1000) for t in times],
        "series": {name: [_rounded(p.values[name]) for p in points] for name in SERIES},
        "totals": {
            name: sum(p.totals[name] for p in points) for name in ("completed", "failed", "aborted")
        },
        "classes": sorted(set().union(*(p.classes for p in points))),
    }


#: The job chart covers at most this much of a job's run (its last day) and at least
#: :data:`JOB_MIN_SPAN` (earlier minutes show the rate before the job started: zero).
JOB_SPAN = timedelta(days=1)
JOB_MIN_SPAN = timedelta(minutes=10)


def job_payload(job_id: str, since: datetime, until: datetime | None = None) -> dict[str, Any]:
    """Records per second of one batch job, one point per minute from ``since`` to ``until``
    (now by default). A minute the job ran only part of (the first, and the current one) is
    divided by the seconds it ran in it, so a running job's last point is its current rate."""
    now = utc_now()
    end = min(until, now) if until else now  # a stored date in the future ends the chart now
    last = minute_of(end)
    start = minute_of(max(since, end - JOB_SPAN))
    start = min(start, last - JOB_MIN_SPAN + timedelta(minutes=1))
    times = [start + timedelta(minutes=i) for i in range(int((last - start) // _MINUTE) + 1)]
    records = dict.fromkeys(times, 0)
    found = job_series(job_id, since=start)
    for m in found:
        minute = minute_of(m.minute)
        if minute in records:
            records[minute] += m.records
    rates = []
    for t in times:
        ran = (min(t + _MINUTE, end) - max(t, since)).total_seconds()
        rates.append(_rounded(records[t] / max(ran, 1.0)) if records[t] else 0.0)
    return {
        "step_seconds": 60,
        "times": [int(t.timestamp() * 1000) for t in times],
        "series": {"records_per_second": rates},
        "totals": {"records": sum(m.records for m in found)},
    }
