"""The unique partial indexes behind Singleton and Cron, and the server behaviour they rely on.

Deviations of the embedded server are asserted as MongoDB behaves and marked
``xfail(strict=True)`` there (see tests/integration/test_mongodb_compatibility.py).
"""

from __future__ import annotations

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from rocketjob.connection import jobs_db
from rocketjob.plugins.cron import CRON_KEY
from rocketjob.plugins.singleton import SINGLETON_KEY
from tests.server import nx_deviation

embedded_deviation = nx_deviation()


def _indexes() -> list[dict]:
    return list(jobs_db()["rocketjob_jobs"].list_indexes())


@pytest.mark.parametrize("rule", [SINGLETON_KEY, CRON_KEY], ids=["singleton", "cron"])
def test_ensure_indexes_creates_a_unique_index_per_rule(rule) -> None:  # type: ignore[no-untyped-def]
    matching = [i for i in _indexes() if dict(i["key"]) == {rule.field_name: 1}]
    assert len(matching) == 1
    assert matching[0].get("unique") is True


def test_jobs_without_a_key_are_not_indexed() -> None:
    collection = jobs_db()["rocketjob_jobs"]
    SINGLETON_KEY.ensure_index(collection)
    collection.insert_many([{"state": "completed"}, {"state": "completed"}])
    collection.insert_one({"state": "queued", SINGLETON_KEY.field_name: "Job.X"})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"state": "queued", SINGLETON_KEY.field_name: "Job.X"})


@embedded_deviation
def test_index_keeps_its_name_and_partial_filter() -> None:
    index = next(i for i in _indexes() if dict(i["key"]) == {SINGLETON_KEY.field_name: 1})
    assert index["name"] == SINGLETON_KEY.index_name
    assert index["partialFilterExpression"] == {SINGLETON_KEY.field_name: {"$type": "string"}}


@embedded_deviation
def test_find_one_and_update_violating_a_unique_index_raises() -> None:
    collection = jobs_db()["rocketjob_jobs"]
    SINGLETON_KEY.ensure_index(collection)
    collection.insert_one({"state": "queued", SINGLETON_KEY.field_name: "Job.Y"})
    other = collection.insert_one({"state": "failed"}).inserted_id
    with pytest.raises(DuplicateKeyError):
        collection.find_one_and_update(
            {"_id": other, "state": "failed"},
            {"$set": {"state": "queued", SINGLETON_KEY.field_name: "Job.Y"}},
            return_document=ReturnDocument.AFTER,
        )
