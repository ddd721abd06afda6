"""The one home of the hot query shapes: claims, completions, heartbeats, polls, counts.

Every query that runs per job, per slice, per heartbeat or per page view is built here, so
that the rules below are applied once and explained once. Each rule produces a filter that
means exactly the same on MongoDB; the rules exist because of how the embedded server
(nx-27017, a MongoDB-protocol server on SQLite) plans them, measured in docs/performance.md:

* **``$eq`` for indexed equalities** (:func:`eq`). In ``find_one_and_update``, ``update``
  and ``delete`` filters nx-27017 turns a plain equality ``{"state": "queued"}`` into
  ``json_extract(...) = ? OR EXISTS (SELECT ... json_each ...)`` (the value might be an
  array element), which SQLite cannot answer from the ``(state, priority)`` index: it scans
  and sorts the whole collection, so a claim's cost grows with the collection (9.3 ms per
  claim with 5,000 jobs). ``{"state": {"$eq": "queued"}}`` becomes a plain comparison that
  walks the index (0.19 ms). Every field compared for equality in a hot filter uses
  :func:`eq`.
* **No ``$in`` / ``$nin`` on hot paths.** nx-27017 evaluates them in Python over every
  candidate document (140-250 ms per claim). Use an ``$or`` of :func:`eq` terms, or ``$ne``
  terms (see ``rocketjob.runtime.claim_filter``), which the planner handles like ``$in``.
* **One flat ``$and``** (:func:`all_of`). nx-27017 ignores conditions placed beside a
  top-level ``$or`` that compares dates (the "due" test ``run_at`` is null or past), so
  every term goes into one flat ``$and`` list, never as a sibling of an ``$or``.

Nothing here special-cases a server: these are plain, portable MongoDB filters.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

#: The claim order: lowest priority number first, then oldest (ObjectIds grow with time).
CLAIM_ORDER = [("priority", 1), ("_id", 1)]


def eq(field: str, value: Any) -> dict[str, Any]:
    """An equality that the embedded server answers from an index (see the module doc)."""
    return {field: {"$eq": value}}


def any_of(field: str, values: list[Any]) -> dict[str, Any]:
    """``field`` equal to one of ``values``, without ``$in``: an ``$or`` of :func:`eq`."""
    if len(values) == 1:
        return eq(field, values[0])
    return {"$or": [eq(field, value) for value in values]}


def all_of(*conditions: dict[str, Any]) -> dict[str, Any]:
    """One flat ``$and`` of ``conditions`` (nested ``$and`` lists are merged, empty dropped)."""
    terms: list[dict[str, Any]] = []
    for condition in conditions:
        if not condition:
            continue
        if len(condition) == 1 and "$and" in condition:
            terms.extend(all_of(*condition["$and"]).get("$and", []))
        else:
            terms.append(condition)
    if len(terms) <= 1:
        return terms[0] if terms else {}
    return {"$and": terms}


def due(now: datetime) -> dict[str, Any]:
    """``run_at`` unset or past: the job may run now."""
    return {"$or": [{"run_at": None}, {"run_at": {"$lte": now}}]}


def queued_now(now: datetime, *conditions: dict[str, Any]) -> dict[str, Any]:
    """Queued jobs whose ``run_at`` has come: the claim's filter, before the worker's terms."""
    return all_of(eq("state", "queued"), due(now), *conditions)


def running(*conditions: dict[str, Any]) -> dict[str, Any]:
    return all_of(eq("state", "running"), *conditions)


def processing(*conditions: dict[str, Any]) -> dict[str, Any]:
    """Running batch jobs whose slices are being processed (the ones workers may join)."""
    return all_of(eq("state", "running"), eq("sub_state", "processing"), *conditions)


def by_id(document_id: Any, *conditions: dict[str, Any]) -> dict[str, Any]:
    return all_of(eq("_id", document_id), *conditions)


def owned_by(job_id: Any, worker_name: str) -> dict[str, Any]:
    """The job, still running under ``worker_name`` (the precondition of a worker's write)."""
    return by_id(job_id, eq("state", "running"), eq("worker_name", worker_name))


def matching(document_id: Any, expected: dict[str, Any]) -> dict[str, Any]:
    """The document, if its fields still have the ``expected`` values (conditional writes).

    A value that is itself an operator document (``{"$in": [...]}``) is kept as given.
    """
    terms = [
        {name: value} if isinstance(value, dict) else eq(name, value)
        for name, value in expected.items()
    ]
    return by_id(document_id, *terms)


def claimed_by_server(server_name: str) -> dict[str, Any]:
    """Running jobs (or slices: same fields) claimed by a worker of ``server_name`` (worker
    names are ``<server>:<index>``). A string ``$regex``, not a compiled BSON regex:
    portable to every server we support."""
    return running({"worker_name": {"$regex": f"^{re.escape(server_name)}:"}})
