"""Reading jobs for Mission Control straight from the collection.

``Job.objects`` filters on the classes this process knows (mongoengine adds ``_cls $in``), so
a job whose class is not importable here would be invisible, and an operator could neither see
nor remove it. Mission Control therefore queries the raw collection and wraps every document in
a :class:`JobRow`, which holds the loaded job when its class is known, and is flagged
"class not loadable" otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from rocketjob import queries
from rocketjob.exceptions import UnknownJobClassError
from rocketjob.fields import UTCDateTimeField
from rocketjob.job import Job
from rocketjob.plugins.job.model import STATES, as_utc, utc_now
from rocketjob.queries import count

logger = logging.getLogger(__name__)

#: The list pages, in sidebar order; "running" is the home page.
LIST_STATES = ("running", "scheduled", "queued", "paused", "completed", "failed", "aborted", "all")
DATE_FIELDS = ("created_at", "started_at", "completed_at", "run_at", "expires_at", "throttled_at")
_DATES = UTCDateTimeField()


def collection() -> Any:
    return Job._get_collection()


def state_filter(state: str, now: datetime | None = None) -> dict[str, Any]:
    """The MongoDB filter of one list page (``queued`` means queued *now*)."""
    now = now or utc_now()
    if state == "all":
        return {}
    if state == "scheduled":
        return queries.all_of(queries.eq("state", "queued"), {"run_at": {"$gt": now}})
    if state == "queued":
        return queries.queued_now(now)
    if state in STATES:
        return queries.eq("state", state)
    raise ValueError(f"unknown job list {state!r}; expected one of {LIST_STATES}")


def counts_by_list(now: datetime | None = None) -> dict[str, int]:
    """Jobs per list page (every class, loadable or not), for the sidebar.

    One count per state rather than a ``$group``: each is answered from the
    ``(state, priority)`` index, so the sidebar stays cheap with millions of completed jobs
    (why the count command and ``$eq``: rocketjob.queries).
    """
    counts = dict.fromkeys(LIST_STATES, 0)
    for state in STATES:
        counts[state] = count(collection(), queries.eq("state", state))
    counts["all"] = sum(counts[state] for state in STATES)
    counts["scheduled"] = count(collection(), state_filter("scheduled", now))
    counts["queued"] = max(0, counts["queued"] - counts["scheduled"])
    return counts


def stored_class_names() -> list[str]:
    """Every ``_cls`` stored in the collection, for the class filter."""
    return sorted(str(name) for name in collection().distinct("_cls") if name)


def short_class_name(stored: str | None) -> str:
    """``Job.Reports.DailyJob`` -> ``DailyJob`` (what people call the class)."""
    return (stored or "?").rsplit(".", 1)[-1]


def parse_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


@dataclass
class JobRow:
    """One stored job: the raw document plus the loaded job when its class is known."""

    raw: dict[str, Any]
    job: Any = None
    load_error: str = ""
    class_missing: bool = False
    #: Base job fields whose stored values have the wrong type (e.g. a list ``state``).
    unreadable: tuple[str, ...] = ()

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> JobRow:
        unreadable = unreadable_fields(raw)
        if unreadable:
            fields = ", ".join(unreadable)
            message = f"the stored document cannot be loaded: unreadable fields {fields}"
            return cls(raw=raw, load_error=message, unreadable=unreadable)
        try:
            job = Job._from_son(raw)
            # The fields its class adds (a batch job's slice_count ...) are checked too.
            unreadable = unreadable_fields(raw, type(job)._fields)
            if unreadable:
                fields = ", ".join(unreadable)
                message = f"the stored document cannot be loaded: unreadable fields {fields}"
                return cls(raw=raw, load_error=message, unreadable=unreadable)
            return cls(raw=raw, job=job)
        except UnknownJobClassError as exc:
            return cls(raw=raw, load_error=str(exc), class_missing=True)
        except Exception as exc:  # a corrupt document must not take the whole page down
            logger.warning(
                "job not loadable", extra={"job_id": str(raw.get("_id")), "error": str(exc)}
            )
            return cls(raw=raw, load_error=f"the stored document cannot be loaded: {exc}")

    @property
    def loadable(self) -> bool:
        return self.job is not None

    @property
    def load_flag(self) -> str:
        """The short flag shown next to a job this process cannot load."""
        if self.unreadable:
            return "unreadable " + ", ".join(self.unreadable)
        return "class not loadable" if self.class_missing else "not loadable"

    @property
    def id(self) -> str:
        return str(self.raw["_id"])

    @property
    def stored_class(self) -> str:
        return str(self.raw.get("_cls") or "Job")

    @property
    def class_name(self) -> str:
        return short_class_name(self.stored_class)

    def get(self, name: str, default: Any = None) -> Any:
        """A field value, from the loaded job if possible, else from the raw document."""
        if self.job is not None and name in self.job._fields:
            value = getattr(self.job, name, default)
            return default if value is None else value
        value = self.raw.get(name, default)
        if name in DATE_FIELDS or name.endswith("_at"):
            value = _DATES.to_python(value)
        return value

    def __getattr__(self, name: str) -> Any:
        # Templates read fields as attributes: row.description, row.priority ...
        if name.startswith("_") or name in (
            "raw",
            "job",
            "load_error",
            "class_missing",
            "unreadable",
        ):
            raise AttributeError(name)
        return self.get(name)

    @property
    def display_state(self) -> str:
        """``scheduled`` for a queued job waiting for its run_at."""
        if "state" in self.unreadable:
            return "unreadable"
        run_at = as_utc(self.get("run_at"))
        if self.raw.get("state") == "queued" and run_at is not None and run_at > utc_now():
            return "scheduled"
        return str(self.raw.get("state", "?"))

    @property
    def percent(self) -> int:
        if "percent_complete" in self.unreadable:
            return 0
        return max(0, min(100, int(self.get("percent_complete") or 0)))

    @property
    def exception_info(self) -> dict[str, Any] | None:
        value = self.raw.get("exception")
        return value if isinstance(value, dict) else None


def unreadable_fields(raw: dict[str, Any], fields: dict[str, Any] | None = None) -> tuple[str, ...]:
    """Fields (default: the base job's) whose stored value does not validate (wrong type,
    out of range).

    Such a document may come from an older deployment, another tool or a hand-made fix.
    Mission Control shows it flagged "unreadable" with its raw values (escaped) and offers
    only Destroy, instead of failing the whole page on it.
    """
    bad = []
    for name, field in (fields or Job._fields).items():
        if name not in raw or raw[name] is None or name in ("_cls", "id"):
            continue
        try:
            field.validate(field.to_python(raw[name]))
        except Exception:  # any failure to read the value means: not readable
            bad.append(name)
    return tuple(bad)


def load_row(job_id: str) -> JobRow | None:
    oid = parse_id(job_id)
    if oid is None:
        return None
    raw = collection().find_one({"_id": oid})
    return None if raw is None else JobRow.from_raw(raw)


def find_rows(
    query: dict[str, Any], sort: list[tuple[str, int]], skip: int, limit: int
) -> list[JobRow]:
    cursor = collection().find(query).sort(sort).skip(skip).limit(limit)
    return [JobRow.from_raw(raw) for raw in cursor]
