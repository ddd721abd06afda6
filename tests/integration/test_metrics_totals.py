"""The cluster counters of the Prometheus URL: whole quarter hours of the retention window,
with the settled ones summed once per process and only the open part read on each scrape."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from rocketjob.metrics import recorder, totals
from rocketjob.metrics.store import MinuteMetrics, class_totals, minute_of, record_minute
from rocketjob.plugins.job.model import utc_now

DAY = 86400


@pytest.fixture(autouse=True)
def one_day_retention() -> Iterator[None]:
    recorder.ACCUMULATOR.drain()
    recorder.stop()
    with override_settings(ROCKETJOB={**settings.ROCKETJOB, "metrics_retention_seconds": DAY}):
        yield


def seed(hours_ago: float, job_class: str = "ImportJob", completed: int = 1) -> None:
    minute = minute_of(utc_now()) - timedelta(minutes=int(hours_ago * 60))
    record_minute(
        MinuteMetrics(
            minute=minute,
            job_class=job_class,
            completed=completed,
            run_seconds_sum=0.5 * completed,
            run_count=completed,
            run_buckets={"0.5": completed},
        )
    )


def numbers(found: dict[str, Any]) -> dict[str, tuple[int, float, dict[str, int]]]:
    return {k: (v.completed, round(v.run_seconds_sum, 6), v.run_buckets) for k, v in found.items()}


def fresh(now) -> dict[str, tuple[int, float, dict[str, int]]]:
    return numbers(class_totals(totals.window_start(now), None))


def test_counts_the_whole_hours_of_the_retention_window_only() -> None:
    for hours_ago, completed in ((0, 1), (0.5, 2), (5, 4), (23, 8), (25, 16), (30, 32)):
        seed(hours_ago, completed=completed)
    seed(5, job_class="ReportJob", completed=64)
    now = utc_now()
    found = numbers(totals.ClusterTotals().totals(now))
    assert found == fresh(now)
    # The minutes older than a day are left out (the window starts at the first whole
    # quarter hour after now minus a day).
    assert found["ReportJob"] == (64, 32.0, {"0.5": 64})
    assert found["ImportJob"][0] == 1 + 2 + 4 + 8


def test_a_scrape_reads_only_the_open_part_once_the_hours_are_settled(monkeypatch) -> None:
    for hours_ago in (0, 2, 6, 12):
        seed(hours_ago, completed=3)
    cache = totals.ClusterTotals()
    now = utc_now()
    first = numbers(cache.totals(now))
    reads: list[tuple[Any, Any]] = []
    original = totals.class_totals

    def counting(since=None, until=None):
        reads.append((since, until))
        return original(since, until)

    monkeypatch.setattr(totals, "class_totals", counting)
    assert numbers(cache.totals(now)) == first
    [(since, until)] = reads
    open_part = totals.BLOCK + timedelta(seconds=totals.settle_seconds())
    assert until is None and now - since <= open_part

    # An hour later: the blocks that left are subtracted, those that settled added, and the
    # result is what a fresh sum over the new window gives.
    seed(0, completed=5)  # the open part, until it settles
    later = now + timedelta(hours=1)
    reads.clear()
    assert numbers(cache.totals(later)) == fresh(later)
    assert len(reads) == 3 and reads[-1][1] is None
    assert all(until - since <= timedelta(hours=1) for since, until in reads[:2])
    assert numbers(cache.totals(later)) == numbers(totals.ClusterTotals().totals(later))
