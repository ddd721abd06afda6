"""The metrics store: atomic per-minute $inc writes, the readers, and the TTL index."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from django.test import override_settings

from rocketjob.connection import ensure_indexes
from rocketjob.metrics import BUCKET_LABELS, BUCKETS, bucket_for
from rocketjob.metrics.store import (
    MinuteMetrics,
    class_series,
    job_series,
    metrics_collection,
    minute_of,
    record_minute,
)

#: Recent enough for the TTL index (7 days by default) to keep it.
T0 = minute_of(datetime.now(UTC)) - timedelta(minutes=30)


def test_bucket_labels_cover_every_bound_and_end_with_inf() -> None:
    assert len(BUCKET_LABELS) == len(BUCKETS) and BUCKET_LABELS[-1] == "+Inf"
    assert bucket_for(0.001) == "0.005" and bucket_for(0.005) == "0.005"
    assert bucket_for(0.7) == "1" and bucket_for(1e9) == "+Inf"


def test_two_writes_of_one_minute_add_up_and_bucket_labels_round_trip() -> None:
    first = MinuteMetrics(
        minute=T0 + timedelta(seconds=12),
        job_class="ReportJob",
        completed=2,
        failed=1,
        run_seconds_sum=1.5,
        run_count=3,
        run_buckets={"0.005": 1, "1": 2},
        latency_seconds_sum=0.25,
        latency_count=3,
        latency_buckets={"0.1": 3},
    )
    second = MinuteMetrics(
        minute=T0 + timedelta(seconds=59),
        job_class="ReportJob",
        completed=1,
        aborted=4,
        run_seconds_sum=2.0,
        run_count=1,
        run_buckets={"2.5": 1, "1": 1},
    )
    record_minute(first)
    record_minute(second)
    [stored] = class_series(T0)
    assert stored == MinuteMetrics(
        minute=T0,
        job_class="ReportJob",
        completed=3,
        failed=1,
        aborted=4,
        run_seconds_sum=3.5,
        run_count=4,
        run_buckets={"0.005": 1, "1": 3, "2.5": 1},
        latency_seconds_sum=0.25,
        latency_count=3,
        latency_buckets={"0.1": 3},
    )
    raw = metrics_collection().find_one({})
    assert raw is not None and isinstance(raw["minute"], datetime)
    assert raw["_id"] == f"class:ReportJob|{T0.isoformat()}"


def test_class_series_filters_by_window_and_class_and_leaves_out_job_scope() -> None:
    for offset, job_class in ((0, "A"), (1, "B"), (2, "A"), (5, "A")):
        record_minute(
            MinuteMetrics(minute=T0 + timedelta(minutes=offset), job_class=job_class, completed=1)
        )
    record_minute(MinuteMetrics(minute=T0, job_class="A", job_id="abc", records=10))
    everything = class_series(T0)
    assert [(m.minute, m.job_class) for m in everything] == [
        (T0, "A"),
        (T0 + timedelta(minutes=1), "B"),
        (T0 + timedelta(minutes=2), "A"),
        (T0 + timedelta(minutes=5), "A"),
    ]
    window = class_series(T0 + timedelta(minutes=1), T0 + timedelta(minutes=5), job_class="A")
    assert [m.minute for m in window] == [T0 + timedelta(minutes=2)]
    assert all(m.job_id is None and m.records == 0 for m in everything)


def test_job_series_returns_one_jobs_records_per_minute() -> None:
    for offset, count in ((0, 100), (0, 50), (1, 70)):
        record_minute(
            MinuteMetrics(
                minute=T0 + timedelta(minutes=offset),
                job_class="Import",
                job_id="job-1",
                records=count,
            )
        )
    record_minute(MinuteMetrics(minute=T0, job_class="Import", job_id="job-2", records=9))
    assert [(m.minute, m.records) for m in job_series("job-1")] == [
        (T0, 150),
        (T0 + timedelta(minutes=1), 70),
    ]
    assert [m.records for m in job_series("job-1", since=T0 + timedelta(minutes=1))] == [70]


def test_queue_depth_keeps_the_largest_sample_of_the_minute() -> None:
    record_minute(MinuteMetrics(minute=T0, job_class="Q", queued=7))
    record_minute(MinuteMetrics(minute=T0, job_class="Q", queued=3, completed=1))
    [stored] = class_series(T0)
    assert stored.queued == 7 and stored.completed == 1
    record_minute(MinuteMetrics(minute=T0 + timedelta(minutes=1), job_class="Q", completed=1))
    assert [m.queued for m in class_series(T0)] == [7, None]


def test_concurrent_writers_of_one_minute_lose_nothing() -> None:
    def write() -> None:
        for _ in range(20):
            record_minute(
                MinuteMetrics(
                    minute=T0, job_class="Busy", completed=1, run_count=1, run_buckets={"0.5": 1}
                )
            )

    threads = [threading.Thread(target=write) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [stored] = class_series(T0)
    assert stored.completed == 120 and stored.run_count == 120
    assert stored.run_buckets == {"0.5": 120}


def test_an_empty_minute_writes_nothing() -> None:
    record_minute(MinuteMetrics(minute=T0, job_class="Nothing"))
    assert metrics_collection().find_one({}) is None


def _ttl_seconds() -> int | None:
    for index in metrics_collection().index_information().values():
        if index["key"] == [("minute", 1)]:
            return int(index["expireAfterSeconds"])
    return None


def test_ttl_index_follows_the_retention_setting() -> None:
    assert _ttl_seconds() == 604800
    with override_settings(ROCKETJOB={"metrics_retention_seconds": 3600}):
        ensure_indexes()
        assert _ttl_seconds() == 3600
