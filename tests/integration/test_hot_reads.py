"""The hot reads of rocketjob.queries: side-by-side field conditions, not an ``$and``.

nx-27017's ``find`` answers a top-level ``$and`` by reading every document of the
collection (the join pre-check read the whole jobs collection once a second per busy
worker: docs/performance.md); the side-by-side form is answered from the index there, and
means the same on every MongoDB server, which the second test checks on the suite's server.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from rocketjob import queries
from rocketjob.connection import jobs_db, slices_db
from rocketjob.sliced.slices import Slices
from tests.helpers import FindFilters


def test_the_hot_reads_have_no_and() -> None:
    skipped = ObjectId()
    reads = [
        queries.processing(),
        queries.processing({"_id": {"$ne": skipped}}),
        queries.running(queries.eq("worker_name", "host:1:0")),
        queries.running(queries.eq("throttle_group", "ledger")),
        queries.claimed_by_server("host:1"),
    ]
    for read in reads:
        assert "$and" not in read, read
    assert queries.processing() == {
        "state": {"$eq": "running"},
        "sub_state": {"$eq": "processing"},
    }


def test_fields_keeps_an_and_for_or_terms_and_repeated_fields() -> None:
    """``$or`` beside other terms, or two conditions on one field, cannot sit side by side."""
    either = queries.any_of("_cls", ["Job.A", "Job.B"])
    assert queries.fields(queries.eq("state", "running"), either) == {
        "$and": [queries.eq("state", "running"), either]
    }
    first, second = {"_id": {"$ne": 1}}, {"_id": {"$ne": 2}}
    assert queries.processing(first, second)["$and"][-2:] == [first, second]
    assert queries.fields(queries.eq("state", "queued")) == queries.eq("state", "queued")
    assert queries.fields() == {}


def test_side_by_side_reads_match_what_the_and_matches() -> None:
    collection = jobs_db()["hot_reads"]
    ids = [ObjectId() for _ in range(5)]
    collection.insert_many(
        [
            {"_id": ids[0], "state": "running", "sub_state": "processing", "worker_name": "a:1:0"},
            {"_id": ids[1], "state": "running", "sub_state": "processing", "worker_name": "b:1:0"},
            {"_id": ids[2], "state": "running", "worker_name": "a:1:1"},
            {"_id": ids[3], "state": "queued", "sub_state": "processing"},
            {"_id": ids[4], "state": "completed", "worker_name": "a:1:0"},
        ]
    )
    cases = [
        ((queries.eq("sub_state", "processing"),), {ids[0], ids[1]}),
        ((queries.eq("sub_state", "processing"), {"_id": {"$ne": ids[0]}}), {ids[1]}),
        ((queries.eq("worker_name", "a:1:0"),), {ids[0]}),
        (({"worker_name": {"$regex": "^a:1:"}},), {ids[0], ids[2]}),
    ]
    for conditions, expected in cases:
        read = queries.running(*conditions)
        assert "$and" not in read
        assert {doc["_id"] for doc in collection.find(read)} == expected, read
        spelled_out = queries.all_of(queries.eq("state", "running"), *conditions)
        assert {doc["_id"] for doc in collection.find(spelled_out)} == expected
    assert {d["_id"] for d in collection.find(queries.claimed_by_server("a:1"))} == {
        ids[0],
        ids[2],
    }
    assert collection.find_one(queries.processing({"_id": {"$ne": ids[0]}}))["_id"] == ids[1]


class _ListenedSlices(Slices):
    """The same slice operations, through a client whose ``find`` filters are recorded."""

    def __init__(self, name: str, client: Any) -> None:
        super().__init__(name, "none")
        self._client = client

    @property
    def collection(self) -> Any:
        return self._client[slices_db().name][self.name]


def test_a_worker_joining_a_batch_job_reads_its_own_slices_by_fields_side_by_side() -> None:
    """Every worker entering a batch job's slice loop re-queues the slice it still holds;
    that read used an ``$and``, which the embedded server answered by reading every slice
    (330 ms with 2,000 slices of 1,000 records)."""
    finds = FindFilters()
    client = finds.client()
    try:
        slices = _ListenedSlices("rocketjob_input_hot_reads", client)
        slices.insert_encoded([slices.encode(n * 10 + 1, list(range(10))) for n in range(3)])
        held = slices.claim("w:1:0")
        assert held is not None and slices.claim("w:1:1") is not None
        assert slices.requeue_running("w:1:0", exact=True) == 1
        assert slices.requeue_running("w:1") == 1  # the other one, by server name
    finally:
        client.close()
    assert len(finds.filters) == 2
    assert not any(finds.top_level_operators()), finds.filters
    assert Slices("rocketjob_input_hot_reads", "none").count_in(("queued",)) == 3
