"""The slices of one job category: one collection, one document per slice.

Input slices live in ``rocketjob_input_<job_id>`` and output slices in
``rocketjob_output_<job_id>`` (``_<category>`` is appended for categories other than
``main``), on the ``rocketjob_slices`` connection alias so they can live on another cluster.

A slice document::

    {_id: 1001, first_record_number: 1001, state: "queued", record_count: 1000,
     records: <serialized>, worker_name, started_at, failure_count,
     processing_record_number, exception: {class_name, message, backtrace, record_number}}

``_id`` is the number of the slice's first record (1-based, counted over every upload of the
job), so ids are unique, deterministic and in input order. An output slice reuses the id of
the input slice it came from: writing it is an idempotent upsert (a slice processed twice
after a crash leaves one output slice, not two), and the output downloads in input order by
``_id``. Both kinds of slice also carry ``first_record_number`` (a copy of ``_id``) and are
sorted on it: the claim through the compound index ``(state, first_record_number)`` (an index
that includes ``_id`` is not portable), the download through ``(first_record_number)``.

Completed input slices are deleted, so a job's input shrinks to its failed slices.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, ReturnDocument
from pymongo.collection import Collection

from rocketjob import queries
from rocketjob.plugins.job.model import JobException, utc_now
from rocketjob.sliced.serializers import Serializer, get_serializer

#: MongoDB's document size limit.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
SLICE_STATES = ("queued", "running", "completed", "failed")


class SliceTooLargeError(ValueError):
    """An encoded slice is over the document size limit."""

    def __init__(self, first_record_number: int, size: int) -> None:
        self.first_record_number = first_record_number
        self.size = size
        super().__init__(f"slice {first_record_number} is {size} bytes")


@dataclass
class Slice:
    """A claimed input slice, its records deserialized."""

    id: int
    records: list[Any]
    state: str = "queued"
    worker_name: str | None = None
    started_at: Any = None
    failure_count: int = 0
    processing_record_number: int = 0
    exception: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def first_record_number(self) -> int:
        return self.id


def collection_name(kind: str, job_id: Any, category: str = "main") -> str:
    suffix = "" if category == "main" else f"_{category}"
    return f"rocketjob_{kind}_{job_id}{suffix}"


class Slices:
    """Operations on one slice collection; every method is one round trip unless noted."""

    def __init__(self, name: str, serializer: str | Serializer = "compress") -> None:
        self.name = name
        self.serializer = get_serializer(serializer) if isinstance(serializer, str) else serializer

    @property
    def collection(self) -> Collection[Any]:
        from rocketjob.connection import slices_db

        return slices_db()[self.name]

    def create_indexes(self) -> None:
        self.collection.create_index(queries.SLICE_INDEX, name="rocketjob_slice_claim")

    def create_output_indexes(self) -> None:
        self.collection.create_index([("first_record_number", ASCENDING)], name="rocketjob_order")

    # -- writing --------------------------------------------------------------------------
    def encode(self, first_record_number: int, records: list[Any]) -> RawBSONDocument:
        """The queued slice document as BSON bytes, checked against the size limit.

        Encoding here once (instead of letting pymongo encode dicts) lets us check the size
        and name the offending records before anything is sent.
        """
        data = bson.encode(
            {
                "_id": first_record_number,
                "first_record_number": first_record_number,
                "state": "queued",
                "record_count": len(records),
                "records": self.serializer.dump(records),
            }
        )
        if len(data) > MAX_DOCUMENT_BYTES:
            raise SliceTooLargeError(first_record_number, len(data))
        return RawBSONDocument(data)

    def insert_encoded(self, documents: list[RawBSONDocument]) -> None:
        if documents:
            self.collection.insert_many(documents, ordered=True)

    def write_output(self, slice_id: int, records: list[Any]) -> None:
        """Store (or overwrite) the output slice ``slice_id``: idempotent, so exactly once.

        An upsert with ``$set`` rather than a replacement: same effect on MongoDB, and the
        embedded server cannot replace a document holding binary data.
        """
        fields = {
            "first_record_number": slice_id,
            "record_count": len(records),
            "records": self.serializer.dump(records),
        }
        self.collection.update_one(queries.by_id(slice_id), {"$set": fields}, upsert=True)

    def read_output(self, slice_id: int) -> list[Any]:
        stored = self.collection.find_one({"_id": slice_id})
        return [] if stored is None else self.serializer.load(stored["records"])

    # -- processing -----------------------------------------------------------------------
    def claim(self, worker_name: str) -> Slice | None:
        """Atomically take the first queued slice for ``worker_name``."""
        raw = self.collection.find_one_and_update(
            queries.eq("state", "queued"),
            {"$set": {"state": "running", "worker_name": worker_name, "started_at": utc_now()}},
            sort=queries.SLICE_ORDER,
            return_document=ReturnDocument.AFTER,
        )
        return None if raw is None else self.to_slice(raw)

    def to_slice(self, raw: dict[str, Any]) -> Slice:
        return Slice(
            id=int(raw["_id"]),
            records=self.serializer.load(raw["records"]),
            state=raw.get("state", "queued"),
            worker_name=raw.get("worker_name"),
            started_at=raw.get("started_at"),
            failure_count=int(raw.get("failure_count") or 0),
            processing_record_number=int(raw.get("processing_record_number") or 0),
            exception=raw.get("exception"),
        )

    def release(self, slice_: Slice) -> None:
        """Give a claimed slice back to the queue untouched (e.g. throttled)."""
        self.collection.update_one(
            queries.owned_by(slice_.id, slice_.worker_name),
            {"$set": {"state": "queued"}, "$unset": {"worker_name": "", "started_at": ""}},
        )

    def complete(self, slice_: Slice) -> None:
        """A processed slice is deleted: the input shrinks to what is left to do."""
        self.collection.delete_one(queries.by_id(slice_.id))

    def fail(
        self,
        slice_: Slice,
        exc: BaseException,
        record_number: int | None,
        processed: int,
    ) -> None:
        """Mark the slice failed; ``processed`` records of it are done and will be skipped."""
        exception = JobException.from_exception(
            exc, worker_name=slice_.worker_name, record_number=record_number
        ).to_mongo()
        self.collection.update_one(
            queries.by_id(slice_.id),
            {
                "$set": {
                    "state": "failed",
                    "exception": dict(exception),
                    "processing_record_number": processed,
                },
                "$inc": {"failure_count": 1},
            },
        )

    def rewrite_failed(
        self,
        slice_id: int,
        records: list[Any],
        failure_count: Any,
        processing_record_number: int | None = None,
    ) -> bool:
        """Replace the records of a failed slice (an operator fixing bad input).

        Written only if the slice is still failed with ``failure_count`` (nobody retried it
        meanwhile); ``processing_record_number`` moves where a retry resumes, when given.
        Returns whether the slice was rewritten.
        """
        fields: dict[str, Any] = {
            "records": self.serializer.dump(records),
            "record_count": len(records),
        }
        if processing_record_number is not None:
            fields["processing_record_number"] = processing_record_number
        result = self.collection.update_one(
            queries.matching(slice_id, {"state": "failed", "failure_count": failure_count}),
            {"$set": fields},
        )
        return bool(result.matched_count == 1)

    def requeue_running(self, server_name: str, exact: bool = False) -> int:
        """Re-queue the slices workers of ``server_name`` held (it died); with ``exact``,
        those of the one worker named ``server_name``."""
        owner = (
            queries.eq("worker_name", server_name)
            if exact
            else {"worker_name": {"$regex": f"^{re.escape(server_name)}:"}}
        )
        return self._requeue("running", owner)

    def running_under(self, server_name: str) -> list[tuple[int, str]]:
        """(slice id, worker name) of the slices workers of ``server_name`` are running."""
        found = self.collection.find(
            queries.claimed_by_server(server_name), {"_id": 1, "worker_name": 1}
        )
        return [(int(raw["_id"]), str(raw.get("worker_name"))) for raw in found]

    def requeue_held_by(self, slice_id: int, worker_name: str) -> bool:
        """Back to queued, if the slice is still running under ``worker_name``."""
        result = self.collection.update_one(
            queries.by_id(
                slice_id, queries.eq("state", "running"), queries.eq("worker_name", worker_name)
            ),
            {"$set": {"state": "queued"}, "$unset": {"worker_name": "", "started_at": ""}},
        )
        return bool(result.modified_count)

    def requeue_failed(self) -> int:
        return self._requeue("failed")

    def _requeue(self, state: str, *conditions: dict[str, Any]) -> int:
        """Back to queued, by id: the ids are read first so the update never filters on a
        field it removes (the embedded server then skips documents; MongoDB does not).
        The read is per join (every worker entering a batch job's slice loop re-queues
        what it held): its fields side by side, or the embedded server reads every slice
        (:func:`rocketjob.queries.fields`). The ``$in`` over the ids read is fine here."""
        query = queries.fields(queries.eq("state", state), *conditions)
        ids = [doc["_id"] for doc in self.collection.find(query, projection={"_id": 1})]
        if not ids:
            return 0
        result = self.collection.update_many(
            queries.all_of({"_id": {"$in": ids}}, queries.eq("state", state)),
            {"$set": {"state": "queued"}, "$unset": {"worker_name": "", "started_at": ""}},
        )
        return int(result.modified_count)

    # -- reading --------------------------------------------------------------------------
    def counts_by_state(self) -> dict[str, int]:
        counts = dict.fromkeys(SLICE_STATES, 0)
        for row in self.collection.aggregate([{"$group": {"_id": "$state", "n": {"$sum": 1}}}]):
            if row["_id"] in counts:
                counts[row["_id"]] = int(row["n"])
        return counts

    def count_in(self, states: tuple[str, ...], limit: int = 0) -> int:
        query = queries.any_of("state", list(states))
        return queries.count(self.collection, query, limit=limit)

    def has_queued(self) -> bool:
        found = self.collection.find_one(queries.eq("state", "queued"), projection={"_id": 1})
        return found is not None

    def count(self) -> int:
        return int(self.collection.estimated_document_count())

    def failed(self) -> Iterator[dict[str, Any]]:
        """Failed slice documents (without their records), in input order."""
        return iter(
            self.collection.find(queries.eq("state", "failed"), projection={"records": 0}).sort(
                "first_record_number", 1
            )
        )

    def each_records(self) -> Iterator[tuple[int, list[Any]]]:
        """(slice id, records) of every slice, in input order."""
        for raw in self.collection.find({}, batch_size=64).sort("first_record_number", 1):
            yield int(raw["_id"]), self.serializer.load(raw["records"])

    # -- removal --------------------------------------------------------------------------
    def last_record_number(self) -> int:
        """The number of the last record stored here (0 when empty)."""
        last = self.collection.find_one(
            {}, sort=[("first_record_number", -1)], projection={"record_count": 1}
        )
        return 0 if last is None else int(last["_id"]) + int(last.get("record_count") or 0) - 1

    def delete_from(self, first_record_number: int) -> int:
        result = self.collection.delete_many({"_id": {"$gte": first_record_number}})
        return int(result.deleted_count)

    def drop(self) -> None:
        self.collection.drop()


#: Slice collections in which a worker may still hold a slice because a database error
#: interrupted it (worker name -> collection names). Released by the worker's next claim.
_lost: dict[str, set[str]] = {}


def remember_lost_slice(worker_name: str, collection: str) -> None:
    _lost.setdefault(worker_name, set()).add(collection)


def release_lost_slices(worker_name: str) -> int:
    """Re-queue slices this worker still holds after a database error; no-op (and no round
    trip) when it holds none. Raises PyMongoError while the database is still down."""
    collections = _lost.get(worker_name)
    if not collections:
        return 0
    released = 0
    for name in sorted(collections):
        released += Slices(name, "none").requeue_running(worker_name, exact=True)
        collections.discard(name)
    _lost.pop(worker_name, None)
    return released
