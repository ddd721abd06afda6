"""Template filters for Mission Control: dates, ages, durations and progress percentages.

Every filter returns plain text; Django's autoescaping applies to all of it. Dates are shown
in the viewer's time zone, activated around each view by :mod:`mission_control.timezones`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from rocketjob.plugins.job.model import as_utc, utc_now

register = template.Library()


def format_seconds(seconds: float | None) -> str:
    """``3725`` -> ``1h 2m``: the two most significant units, like Ruby Mission Control."""
    if seconds is None:
        return ""
    seconds = max(0.0, float(seconds))
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        value, seconds = divmod(seconds, size)
        if value or parts:
            parts.append(f"{int(value)}{unit}")
    return " ".join(p for p in parts[:2] if not p.startswith("0")) or "0s"


@register.filter
def duration(seconds: float | None) -> str:
    return format_seconds(seconds)


@register.filter
def age(value: datetime | None) -> str:
    """Time elapsed since ``value``."""
    value = as_utc(value) if isinstance(value, datetime) else None
    if value is None:
        return ""
    return format_seconds((utc_now() - value).total_seconds())


@register.filter
def until(value: datetime | None) -> str:
    """Time left until ``value`` (empty once it has passed)."""
    value = as_utc(value) if isinstance(value, datetime) else None
    if value is None:
        return ""
    left = (value - utc_now()).total_seconds()
    return format_seconds(left) if left > 0 else "now"


@register.filter
def percent(value: Any) -> int:
    """An integer 0..100, safe to put in a style attribute."""
    try:
        return max(0, min(100, int(float(value))))
    except (TypeError, ValueError):
        return 0


@register.filter
def isoformat(value: Any) -> str:
    """A date in the viewer's zone, with the zone's abbreviation: ``2026-12-02 07:15:00 CET``."""
    if isinstance(value, datetime):
        value = as_utc(value)
        if value is None:
            return ""
        return value.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M:%S %Z")
    return "" if value is None else str(value)


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


#: What a chart's legend calls each series (the JSON keeps the short names).
SERIES_LABELS = {
    "completed": "completed",
    "failed": "failed",
    "aborted": "aborted",
    "queued": "queued",
    "latency_avg": "mean",
    "latency_p95": "95th percentile",
    "records_per_second": "records/s",
}


@register.filter
def series_label(name: str) -> str:
    """The legend's words for a chart series (``latency_p95`` -> ``95th percentile``)."""
    return SERIES_LABELS.get(name, name)
