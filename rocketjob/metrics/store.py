"""The ``rocketjob_metrics`` collection: one document per (scope, UTC minute).

A scope is a job class (``class:<name>``) or, for batch records, one job (``job:<id>``).
Every writer adds with ``$inc`` (queue depth with ``$max``), so any number of servers can
flush into the same minute without reading first; the TTL index on ``minute`` forgets
documents older than ``metrics_retention_seconds``. See METRICS_CONTRACT.md.

Bucket counts are stored under ``run_buckets``/``latency_buckets`` keyed by the ``le`` label
with ``.`` written as ``_`` (a dot would be read as a path by ``$inc``); the reader gives the
labels back as in :data:`rocketjob.metrics.BUCKET_LABELS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from rocketjob.conf import get_settings
from rocketjob.connection import ensure_ttl_index, jobs_db, register_index_hook
from rocketjob.metrics.numbers import BUCKET_FIELDS, COUNTERS, SUMS, Numbers

METRICS_COLLECTION = "rocketjob_metrics"
TTL_INDEX = "rocketjob_metrics_ttl"
SERIES_INDEX = "rocketjob_metrics_series"


@dataclass(kw_only=True)
class MinuteMetrics(Numbers):
    """One scope's numbers for one UTC minute (counters are added, ``queued`` is a gauge)."""

    minute: datetime
    job_class: str
    job_id: str | None = None


def minute_of(moment: datetime) -> datetime:
    """``moment`` in UTC, truncated to its minute (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def settle_seconds() -> float:
    """How long after a minute ends its numbers can still arrive: three flushes, at least 60 s."""
    return max(60.0, 3 * float(get_settings().metrics_flush_seconds))


def scope_of(job_class: str, job_id: str | None) -> str:
    return f"job:{job_id}" if job_id else f"class:{job_class}"


def document_id(m: MinuteMetrics) -> str:
    return f"{scope_of(m.job_class, m.job_id)}|{minute_of(m.minute).isoformat()}"


def metrics_collection() -> Collection[Any]:
    return jobs_db()[METRICS_COLLECTION]


def _stored_key(label: str) -> str:
    return label.replace(".", "_")


def _label_of(stored: str) -> str:
    return stored.replace("_", ".")


def _increments(m: MinuteMetrics) -> dict[str, Any]:
    inc: dict[str, Any] = {}
    for name in (*COUNTERS, *SUMS):
        value = getattr(m, name)
        if value:
            inc[name] = value
    for name in BUCKET_FIELDS:
        for label, count in getattr(m, name).items():
            if count:
                inc[f"{name}.{_stored_key(label)}"] = count
    return inc


def _new_document(m: MinuteMetrics, doc_id: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": doc_id,
        "job_class": m.job_class,
        "job_id": m.job_id,
        "minute": minute_of(m.minute),
    }
    for name in (*COUNTERS, *SUMS):
        doc[name] = getattr(m, name)
    for name in BUCKET_FIELDS:
        doc[name] = {_stored_key(k): v for k, v in getattr(m, name).items() if v}
    if m.queued is not None:
        doc["queued"] = m.queued
    return doc


def record_minute(m: MinuteMetrics) -> None:
    """Add one minute's numbers to its document (atomic; safe from any number of servers).

    The common case is one ``$inc`` update of an existing document. The first write of a
    minute inserts the whole document instead of upserting, so nested bucket counts and the
    ``minute`` date are stored the same way on every MongoDB-compatible server (an upsert's
    dotted ``$inc`` paths are not expanded by the embedded server); a racing insert of the
    same minute loses with a duplicate key and falls back to the update.
    """
    update: dict[str, Any] = {}
    if inc := _increments(m):
        update["$inc"] = inc
    if m.queued is not None:
        update["$max"] = {"queued": m.queued}
    if not update:
        return
    doc_id = document_id(m)
    collection = metrics_collection()
    if collection.update_one({"_id": {"$eq": doc_id}}, update).matched_count:
        return
    try:
        collection.insert_one(_new_document(m, doc_id))
    except DuplicateKeyError:
        collection.update_one({"_id": {"$eq": doc_id}}, update)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, str):  # the embedded server may return $set dates as strings
        value = datetime.fromisoformat(value)
    return minute_of(value)


def _from_document(doc: dict[str, Any]) -> MinuteMetrics:
    queued = doc.get("queued")
    return MinuteMetrics(
        minute=_as_datetime(doc["minute"]),
        job_class=doc.get("job_class") or "",
        job_id=doc.get("job_id"),
        completed=int(doc.get("completed") or 0),
        failed=int(doc.get("failed") or 0),
        aborted=int(doc.get("aborted") or 0),
        run_seconds_sum=float(doc.get("run_seconds_sum") or 0.0),
        run_count=int(doc.get("run_count") or 0),
        run_buckets={_label_of(k): int(v) for k, v in (doc.get("run_buckets") or {}).items()},
        latency_seconds_sum=float(doc.get("latency_seconds_sum") or 0.0),
        latency_count=int(doc.get("latency_count") or 0),
        latency_buckets={
            _label_of(k): int(v) for k, v in (doc.get("latency_buckets") or {}).items()
        },
        records=int(doc.get("records") or 0),
        queued=None if queued is None else int(queued),
    )


def _series(conditions: list[dict[str, Any]]) -> list[MinuteMetrics]:
    cursor = metrics_collection().find({"$and": conditions})
    found = [_from_document(doc) for doc in cursor]
    found.sort(key=lambda m: (m.minute, m.job_class))
    return found


def class_series(
    since: datetime, until: datetime | None = None, job_class: str | None = None
) -> list[MinuteMetrics]:
    """Class-scope minutes from ``since`` (inclusive) to ``until`` (exclusive), by minute."""
    conditions: list[dict[str, Any]] = [
        {"job_id": {"$eq": None}},
        {"minute": {"$gte": minute_of(since)}},
    ]
    if until is not None:
        conditions.append({"minute": {"$lt": until}})
    if job_class is not None:
        conditions.append({"job_class": {"$eq": job_class}})
    return _series(conditions)


def job_series(job_id: str, since: datetime | None = None) -> list[MinuteMetrics]:
    """The minutes of one batch job (records processed), by minute."""
    conditions: list[dict[str, Any]] = [{"job_id": {"$eq": str(job_id)}}]
    if since is not None:
        conditions.append({"minute": {"$gte": minute_of(since)}})
    return _series(conditions)


def class_totals(
    since: datetime | None = None, until: datetime | None = None
) -> dict[str, MinuteMetrics]:
    """Every class's numbers summed over the minutes from ``since`` (inclusive) to ``until``
    (exclusive), by default all that are stored (one aggregate).

    ``minute`` of each is the current minute; ``queued`` is left out (a gauge).
    """
    from rocketjob.metrics import BUCKET_LABELS

    group: dict[str, Any] = {"_id": "$job_class"}
    for name in (*COUNTERS, *SUMS):
        group[name] = {"$sum": f"${name}"}
    for name in BUCKET_FIELDS:
        for index, label in enumerate(BUCKET_LABELS):
            group[f"{name}__{index}"] = {"$sum": f"${name}.{_stored_key(label)}"}
    conditions: list[dict[str, Any]] = [{"job_id": {"$eq": None}}]
    if since is not None:
        conditions.append({"minute": {"$gte": since}})
    if until is not None:
        conditions.append({"minute": {"$lt": until}})
    pipeline = [{"$match": {"$and": conditions}}, {"$group": group}]
    totals: dict[str, MinuteMetrics] = {}
    now = datetime.now(UTC)
    for row in metrics_collection().aggregate(pipeline):
        doc: dict[str, Any] = {**row, "job_class": row["_id"], "job_id": None, "minute": now}
        for name in BUCKET_FIELDS:
            counts = ((label, row.get(f"{name}__{i}")) for i, label in enumerate(BUCKET_LABELS))
            doc[name] = {_stored_key(label): count for label, count in counts if count}
        totals[str(row["_id"])] = _from_document(doc)
    return totals


def ensure_metrics_indexes() -> None:
    """The TTL index (expiry follows ``metrics_retention_seconds``) and the series index."""
    ttl = int(get_settings().metrics_retention_seconds)
    ensure_ttl_index(METRICS_COLLECTION, "minute", TTL_INDEX, ttl)
    metrics_collection().create_index([("job_id", 1), ("minute", 1)], name=SERIES_INDEX)


register_index_hook(ensure_metrics_indexes)
