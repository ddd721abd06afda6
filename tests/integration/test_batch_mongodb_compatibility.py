"""MongoDB behaviour around slices, with the embedded server's deviations marked.

Each deviation test asserts what MongoDB does and is ``xfail(strict=True)`` only on the
embedded server (nx-27017); the batch code works around each one (see the comments in
``rocketjob/sliced/slices.py``). A real-MongoDB run proves the tests; a fixed nx-27017
turns an xfail into a failure that says the workaround can go.
"""

from __future__ import annotations

import bson
import pytest
from bson import Binary, ObjectId
from bson.raw_bson import RawBSONDocument
from pymongo.errors import DocumentTooLarge, PyMongoError

from rocketjob.connection import slices_db
from tests.server import nx_deviation

embedded_deviation = nx_deviation()


def test_the_slice_claim_and_ordered_reads_work_everywhere() -> None:
    """What the batch code relies on instead of the deviations below."""
    slices = slices_db()["compat_slices"]
    slices.insert_many(
        [{"_id": n, "first_record_number": n, "state": "queued"} for n in (101, 2, 11)]
    )
    claimed = slices.find_one_and_update(
        {"state": "queued"},
        {"$set": {"state": "running"}},
        sort=[("state", 1), ("first_record_number", 1)],
    )
    assert claimed["_id"] == 2
    ordered = [d["_id"] for d in slices.find().sort("first_record_number", 1)]
    assert ordered == [2, 11, 101]
    slices.update_one({"_id": 2}, {"$set": {"records": Binary(b"new")}}, upsert=True)
    assert slices.find_one({"_id": 2})["records"] == b"new"


@embedded_deviation
def test_integer_ids_sort_numerically() -> None:
    slices = slices_db()["compat_slices"]
    slices.insert_many([{"_id": n} for n in (101, 2, 11)])
    assert [d["_id"] for d in slices.find().sort("_id", 1)] == [2, 11, 101]


@embedded_deviation
def test_replacing_a_document_that_holds_binary_data() -> None:
    slices = slices_db()["compat_slices"]
    slices.insert_one({"_id": 1, "records": Binary(b"old")})
    try:
        slices.replace_one({"_id": 1}, {"_id": 1, "records": Binary(b"new")})
    except PyMongoError as exc:
        pytest.fail(f"replace_one raised {exc}")
    assert slices.find_one({"_id": 1})["records"] == b"new"


@embedded_deviation
def test_update_many_unsetting_a_field_its_filter_matches_updates_every_match() -> None:
    slices = slices_db()["compat_slices"]
    slices.insert_many(
        [{"_id": n, "state": "running", "worker_name": f"dead:1:{n}"} for n in range(4)]
    )
    result = slices.update_many(
        {"state": "running", "worker_name": {"$regex": "^dead:1:"}},
        {"$set": {"state": "queued"}, "$unset": {"worker_name": ""}},
    )
    assert result.modified_count == 4


@embedded_deviation
def test_equality_on_an_object_id_field() -> None:
    collection = slices_db()["compat_slices"]
    job_id = ObjectId()
    collection.insert_one({"job_id": job_id})
    assert collection.find_one({"job_id": job_id}) is not None


@embedded_deviation
def test_reads_do_not_create_collections() -> None:
    db = slices_db()
    db["compat_missing"].find_one_and_update({"state": "queued"}, {"$set": {"state": "x"}})
    db["compat_missing"].count_documents({})
    assert "compat_missing" not in db.list_collection_names()


@embedded_deviation
def test_documents_over_16_mib_are_refused() -> None:
    big = RawBSONDocument(bson.encode({"_id": 1, "x": "a" * (17 * 1024 * 1024)}))
    with pytest.raises((DocumentTooLarge, PyMongoError)):
        slices_db()["compat_slices"].insert_many([big])
