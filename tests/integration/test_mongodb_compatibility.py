"""MongoDB behaviour the code relies on, checked on whichever server the suite runs against.

Where the embedded server (nx-27017) is known to deviate, the test asserts MongoDB's
behaviour and is marked ``xfail(strict=True)`` only on the embedded server: a run against a
real MongoDB (ROCKETJOB_TEST_MONGODB_URL) proves the behaviour, and a fixed nx-27017 release
turns the xfail into a failure that tells us to drop the workaround.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from bson import ObjectId

from rocketjob.connection import jobs_db
from rocketjob.plugins.job.model import utc_now
from rocketjob.queries import count


def on_embedded_server() -> bool:
    return not jobs_db().client.server_info().get("version")


embedded_deviation = pytest.mark.xfail(
    condition="on_embedded_server()", strict=True, reason="nx-27017 deviation"
)


def test_find_one_and_update_sorted_claim_is_atomic_per_document() -> None:
    collection = jobs_db()["compat"]
    collection.insert_many([{"state": "queued", "priority": p} for p in (50, 10, 30)])
    claimed = collection.find_one_and_update(
        {"state": "queued"}, {"$set": {"state": "running"}}, sort=[("priority", 1), ("_id", 1)]
    )
    assert claimed["priority"] == 10


@embedded_deviation
def test_set_keeps_datetimes_as_dates() -> None:
    collection = jobs_db()["compat"]
    _id = collection.insert_one({}).inserted_id
    collection.update_one({"_id": _id}, {"$set": {"at": utc_now()}})
    assert isinstance(collection.find_one({"_id": _id})["at"], datetime)


@embedded_deviation
def test_count_with_id_operator_matches_find() -> None:
    collection = jobs_db()["compat"]
    only = collection.insert_one({"k": 1}).inserted_id
    assert collection.count_documents({"_id": {"$ne": only}}) == 0


@embedded_deviation
def test_compiled_regex_queries_are_supported() -> None:
    import re

    collection = jobs_db()["compat"]
    collection.insert_one({"name": "host:1:0"})
    assert collection.count_documents({"name": re.compile("^host:")}) == 1


def test_string_regex_queries_work() -> None:
    collection = jobs_db()["compat"]
    collection.insert_one({"name": "host:1:0"})
    assert collection.count_documents({"name": {"$regex": "^host:1:"}}) == 1


def _with_set_date() -> tuple[Any, ObjectId, datetime]:
    """A compat collection holding one document whose ``at`` was written with ``$set``."""
    collection = jobs_db()["compat"]
    now = utc_now()
    _id = collection.insert_one({}).inserted_id
    collection.update_one({"_id": _id}, {"$set": {"at": now}})
    return collection, _id, now


def test_dates_written_with_set_compare_correctly_in_find_and_count() -> None:
    collection, _id, now = _with_set_date()
    assert [d["_id"] for d in collection.find({"at": {"$lte": now}})] == [_id]
    assert count(collection, {"at": {"$lte": now}}) == 1
    assert count(collection, {"at": {"$gt": now}}) == 0
    assert isinstance(_id, ObjectId)


@embedded_deviation
def test_count_documents_with_date_comparison_on_set_dates() -> None:
    collection, _id, now = _with_set_date()
    assert collection.count_documents({"at": {"$lte": now}}) == 1


@embedded_deviation
def test_eq_on_id_beside_a_comparison_on_a_set_date_matches() -> None:
    """Why rocketjob.queries.by_id keeps ``_id`` a plain equality."""
    collection, _id, now = _with_set_date()
    query = {"$and": [{"_id": {"$eq": _id}}, {"at": {"$lte": now}}]}
    assert collection.delete_one(query).deleted_count == 1


def test_plain_id_beside_a_comparison_on_a_set_date_matches() -> None:
    collection, _id, now = _with_set_date()
    assert collection.delete_one({"$and": [{"_id": _id}, {"at": {"$lte": now}}]}).deleted_count


def test_eq_filters_drive_updates_and_upserts() -> None:
    """The shapes of rocketjob.queries: ``$eq`` terms in a flat ``$and`` match in updates,
    and an upsert on ``_id`` creates the document with that id."""
    collection = jobs_db()["compat"]
    collection.insert_many([{"_id": 1, "state": "queued"}, {"_id": 2, "state": "running"}])
    claimed = collection.find_one_and_update(
        {"$and": [{"state": {"$eq": "queued"}}]}, {"$set": {"state": "running"}}
    )
    assert claimed is not None and claimed["_id"] == 1
    assert collection.update_one({"_id": 3}, {"$set": {"n": 1}}, upsert=True).upserted_id == 3
    assert collection.count_documents({}) == 3


def _date_or() -> dict:
    return {"$or": [{"run_at": None}, {"run_at": {"$lte": utc_now()}}]}


@embedded_deviation
def test_terms_beside_a_date_or_are_applied() -> None:
    collection = jobs_db()["compat"]
    collection.insert_many([{"k": "a", "state": "queued"}, {"k": "b", "state": "queued"}])
    found = collection.find({"state": "queued", **_date_or(), "k": {"$ne": "a"}})
    assert [d["k"] for d in found] == ["b"]


@embedded_deviation
def test_ne_matches_documents_without_the_field_beside_a_date_or() -> None:
    collection = jobs_db()["compat"]
    collection.insert_many([{"n": 1, "g": "a"}, {"n": 2}])
    found = collection.find({"$and": [_date_or(), {"g": {"$ne": "a"}}]})
    assert [d["n"] for d in found] == [2]


def test_the_claim_shape_is_right_everywhere() -> None:
    """One flat $and, $ne on always-present fields and $nin on optional ones: what
    ClaimFilter renders, evaluated correctly by MongoDB and the embedded server alike."""
    collection = jobs_db()["compat"]
    collection.insert_many(
        [
            {"n": 1, "_cls": "Job.A", "state": "queued"},
            {"n": 2, "_cls": "Job.B", "state": "queued", "g": "ledger"},
            {"n": 3, "_cls": "Job.B", "state": "queued"},
            {"n": 4, "_cls": "Job.B", "state": "running"},
        ]
    )
    query = {
        "$and": [
            {"state": "queued"},
            _date_or(),
            {"_cls": {"$ne": "Job.A"}},
            {"g": {"$nin": ["ledger"]}},
        ]
    }
    assert [d["n"] for d in collection.find(query)] == [3]
