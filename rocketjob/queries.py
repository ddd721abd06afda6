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
  :func:`eq`, except ``_id`` (see :func:`by_id`).
* **No ``$in`` / ``$nin`` on hot paths.** nx-27017 evaluates them in Python over every
  candidate document (140-250 ms per claim). Use an ``$or`` of :func:`eq` terms, or ``$ne``
  terms (see ``rocketjob.runtime.claim_filter``), which the planner handles like ``$in``.
* **Counts with the ``count`` command** (:func:`count`), never ``count_documents``: that runs
  an aggregation in which nx-27017 scans the collection (400-1,700 ms to count 20,000 jobs
  by state, against 1-3 ms for the command with an :func:`eq` filter) and compares dates
  written with ``$set`` wrongly (docs/embedded-server.md); the command is right there and
  every MongoDB version supports it. Neither handles ``_id`` operators on nx-27017: test
  existence with ``find(...).limit(1)`` instead.
* **One flat ``$and``** (:func:`all_of`). nx-27017 ignores conditions placed beside a
  top-level ``$or`` that compares dates (the "due" test ``run_at`` is null or past), so
  every term goes into one flat ``$and`` list, never as a sibling of an ``$or``.
* **No ``$and`` in hot reads** (:func:`fields`). nx-27017's ``find`` answers a top-level
  ``$and`` (and any ``$or``) by loading every document of the collection and filtering in
  Python, whatever the indexes (its ``find_one_and_update``, ``update`` and ``count`` do
  not). The join pre-check, a ``find_one`` of running + processing jobs that every busy
  worker sends once a second, read the whole jobs collection that way: 460-680 ms with
  20,000 documents, and a 10,000-job ``rocketjob_perf`` run made 2.85 jobs/s against 227
  at 1,000 jobs. One document with the fields side by side, ``{"state": {"$eq": "running"},
  "sub_state": {"$eq": "processing"}}``, is translated to SQL and walks the index (1-3 ms).
  Reads of field conditions on distinct fields (:func:`running`, :func:`processing`) are
  built that way; ``$or`` terms keep them an ``$and`` (read in full either way), so the
  join lookup reads the processing jobs and checks their class itself
  (``rocketjob.runtime.claim.best_processing``) instead of sending an ``$or`` of classes.

Nothing here special-cases a server: these are plain, portable MongoDB filters.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

#: The claim order: lowest priority number first, then oldest. Sorted by the claim index
#: (``CLAIM_INDEX`` after the ``state`` equality), so a claim reads one index entry however
#: many jobs are queued. Not ``_id``: nx-27017 cannot put ``_id`` in a compound index, and a
#: sort on it makes every claim sort all queued jobs of the top priority (34-100 ms with
#: 5,000-50,000 of them, against 0.6 ms).
CLAIM_ORDER = [("priority", 1), ("created_at", 1)]
CLAIM_INDEX = [("state", 1), *CLAIM_ORDER]
#: The slice claim's order, in input order, and its index. Like the job claim, the sort names
#: only the keys after the ``state`` equality: with ``$eq`` nx-27017 then walks the index in
#: order (0.4 ms with 30,000 queued slices), while sorting on ``state`` too makes it sort
#: (3-4 ms); MongoDB answers both from the index.
SLICE_ORDER = [("first_record_number", 1)]
SLICE_INDEX = [("state", 1), *SLICE_ORDER]


def count(collection: Any, query: dict[str, Any], limit: int = 0) -> int:
    """How many documents of ``collection`` match ``query`` (the ``count`` command)."""
    command: dict[str, Any] = {"count": collection.name, "query": query}
    if limit:
        command["limit"] = limit
    return int(collection.database.command(command)["n"])


def newer_than(document_id: Any) -> dict[str, Any]:
    """Documents inserted after ``document_id`` (ObjectIds grow): the event poll."""
    return {"_id": {"$gt": document_id}}


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


def fields(*conditions: dict[str, Any]) -> dict[str, Any]:
    """``conditions`` as one document of side-by-side field conditions (an implicit AND)
    when they name distinct fields and none is an operator such as ``$or``; otherwise
    :func:`all_of`. For reads: see "No ``$and`` in hot reads" in the module doc."""
    combined = all_of(*conditions)
    terms = combined.get("$and")
    if terms is None:
        return combined
    merged: dict[str, Any] = {}
    for term in terms:
        for name, value in term.items():
            if name.startswith("$") or name in merged:
                return combined
            merged[name] = value
    return merged


def due(now: datetime) -> dict[str, Any]:
    """``run_at`` unset or past: the job may run now."""
    return {"$or": [{"run_at": None}, {"run_at": {"$lte": now}}]}


def queued_now(now: datetime, *conditions: dict[str, Any]) -> dict[str, Any]:
    """Queued jobs whose ``run_at`` has come: the claim's filter, before the worker's terms."""
    return all_of(eq("state", "queued"), due(now), *conditions)


def running(*conditions: dict[str, Any]) -> dict[str, Any]:
    """Running jobs (or slices) that match ``conditions`` too: a read (:func:`fields`)."""
    return fields(eq("state", "running"), *conditions)


def processing(*conditions: dict[str, Any]) -> dict[str, Any]:
    """Running batch jobs whose slices are being processed (the ones workers may join): a
    read (:func:`fields`), sent by every busy worker once a second as the join pre-check."""
    return fields(eq("state", "running"), eq("sub_state", "processing"), *conditions)


def by_id(document_id: Any, *conditions: dict[str, Any]) -> dict[str, Any]:
    """The document with ``_id``, if it matches ``conditions`` too.

    ``_id`` is the one plain equality: nx-27017 keeps it in a column of its own (answered
    without a scan either way), and ``{"_id": {"$eq": ...}}`` beside a date comparison
    matches nothing there (a date written with ``$set``: docs/embedded-server.md).
    """
    return all_of({"_id": document_id}, *conditions)


def owned_by(document_id: Any, worker_name: str | None) -> dict[str, Any]:
    """The job or slice, still running under ``worker_name`` (a worker's write precondition)."""
    return matching(document_id, {"state": "running", "worker_name": worker_name})


def matching(document_id: Any, expected: dict[str, Any]) -> dict[str, Any]:
    """The document, if its fields still have the ``expected`` values (conditional writes).

    A value that is itself an operator document (``{"$in": [...]}``) is kept as given, and so
    is None ("null or missing", which is not an indexed lookup).
    """
    terms = [
        {name: value} if value is None or isinstance(value, dict) else eq(name, value)
        for name, value in expected.items()
    ]
    return by_id(document_id, *terms)


def claimed_by_server(server_name: str) -> dict[str, Any]:
    """Running jobs (or slices: same fields) claimed by a worker of ``server_name`` (worker
    names are ``<server>:<index>``). A string ``$regex``, not a compiled BSON regex:
    portable to every server we support."""
    return running(workers_of(server_name))


def workers_of(server_name: str) -> dict[str, Any]:
    """``worker_name`` of one of ``server_name``'s workers (``<server>:<index>``)."""
    return {"worker_name": {"$regex": f"^{re.escape(server_name)}:"}}
