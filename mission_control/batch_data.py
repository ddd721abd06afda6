"""Batch jobs in Mission Control: slice progress, failed-slice exceptions, record repair.

Only *failed* input slices are ever edited, and every write names ``state: failed`` in its
filter, so a slice a worker has meanwhile claimed (after a retry) is never modified. Records
are edited as JSON: control characters and quotes are visible as escapes, never raw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mission_control.jobs_data import JobRow
from rocketjob import queries

MAX_MESSAGES = 10
#: Batch fields the batch panel shows, left out of the job's "custom fields".
PANEL_FIELDS = frozenset(
    {"record_count", "slice_count", "statistics", "sub_state", "input_columns"}
)


def is_batch(row: JobRow) -> bool:
    return bool(row.loadable and getattr(row.job, "rocketjob_is_batch", False))


def job_panel(row: JobRow) -> dict[str, Any] | None:
    """Slice bar, rates, categories and statistics for the job detail page."""
    if not is_batch(row):
        return None
    job = row.job
    status = job.status()
    running = job.state == "running"
    slices = status.get("slices") or {}
    total = sum(int(slices.get(k, 0)) for k in ("queued", "active", "failed", "completed"))
    segments = []
    for key, css in (
        ("completed", "completed"),
        ("active", "running"),
        ("queued", "queued"),
        ("failed", "failed"),
    ):
        count = int(slices.get(key, 0))
        width = round(100 * count / total, 2) if total else 0
        segments.append({"name": key, "css": css, "count": count, "width": width})
    return {
        "sub_state": job.sub_state,
        "record_count": job.record_count,
        "slice_count": job.slice_count,
        "segments": segments if total else [],
        "failed_slices": int(slices.get("failed", 0)),
        # Rates and time left only mean something while workers are processing.
        "records_per_second": status.get("records_per_second") if running else None,
        "estimated_seconds_left": status.get("estimated_seconds_left") if running else None,
        "input_categories": [_describe(c) for c in _inputs(job)],
        "output_categories": [_describe(c) for c in job.output_categories],
        "statistics": json.dumps(job.statistics, indent=2, sort_keys=True, default=str)
        if job.statistics
        else "",
    }


def _inputs(job: Any) -> list[Any]:
    return [job.input_category(name) for name in job.input_category_names()]


def _describe(category: Any) -> dict[str, str]:
    return {
        "name": category.name,
        "format": str(category.format or "records"),
        "serializer": str(category.serializer),
    }


@dataclass
class ExceptionGroup:
    class_name: str
    count: int
    messages: list[str]


def exception_groups(job: Any, category: str = "main") -> list[ExceptionGroup]:
    """Failed slices grouped by exception class: count and up to 10 distinct messages."""
    groups: dict[str, ExceptionGroup] = {}
    for raw in job.input(category).failed():
        exception = raw.get("exception") or {}
        name = str(exception.get("class_name") or "unknown")
        group = groups.setdefault(name, ExceptionGroup(name, 0, []))
        group.count += 1
        message = str(exception.get("message") or "")
        if message not in group.messages and len(group.messages) < MAX_MESSAGES:
            group.messages.append(message)
    return sorted(groups.values(), key=lambda g: (-g.count, g.class_name))


def failed_slices(
    job: Any, category: str, class_name: str, skip: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """One page of the failed slices whose exception is ``class_name`` (all when empty)."""
    query = queries.all_of(
        queries.eq("state", "failed"),
        queries.eq("exception.class_name", class_name) if class_name else {},
    )
    collection = job.input(category).collection
    total = queries.count(collection, query)
    found = collection.find(query, projection={"records": 0}).sort("_id", 1).skip(skip)
    return total, list(found.limit(limit))


@dataclass
class SliceView:
    raw: dict[str, Any]
    records: list[Any]

    @property
    def id(self) -> int:
        return int(self.raw["_id"])

    @property
    def failed_index(self) -> int | None:
        """Index (in the slice) of the record that raised, if known."""
        exception = self.raw.get("exception") or {}
        number = exception.get("record_number")
        if number is None:
            return None
        index = int(number) - self.id
        return index if 0 <= index < len(self.records) else None

    def numbered(self) -> list[tuple[int, int, str]]:
        """(index, record number, record as JSON) for display."""
        return [(i, self.id + i, to_json(r)) for i, r in enumerate(self.records)]


def to_json(record: Any) -> str:
    return json.dumps(record, ensure_ascii=True, default=str)


def load_slice(job: Any, category: str, slice_id: int) -> SliceView | None:
    slices = job.input(category)
    raw = slices.collection.find_one({"_id": slice_id})
    if raw is None:
        return None
    return SliceView(raw=raw, records=slices.serializer.load(raw["records"]))


class SliceChangedError(Exception):
    """The slice is no longer failed (retried, or gone): nothing was written."""


def update_record(job: Any, category: str, slice_id: int, index: int, value: Any) -> None:
    _rewrite(job, category, slice_id, index, value=value)


def delete_record(job: Any, category: str, slice_id: int, index: int) -> None:
    _rewrite(job, category, slice_id, index, delete=True)


def _rewrite(
    job: Any, category: str, slice_id: int, index: int, value: Any = None, delete: bool = False
) -> None:
    slices = job.input(category)
    view = load_slice(job, category, slice_id)
    if view is None or view.raw.get("state") != "failed":
        raise SliceChangedError(f"slice {slice_id} is no longer failed")
    if not 0 <= index < len(view.records):
        raise IndexError(f"slice {slice_id} has no record {index}")
    records = list(view.records)
    processed: int | None = None
    if delete:
        del records[index]
        done = int(view.raw.get("processing_record_number") or 0)
        if index < done:
            processed = done - 1
    else:
        records[index] = value
    if not slices.rewrite_failed(slice_id, records, view.raw.get("failure_count"), processed):
        raise SliceChangedError(f"slice {slice_id} changed meanwhile")
