"""Where-filter shapes: what a worker filter may use, checked before the supervisor starts."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from rocketjob.conf import reset_settings_cache
from rocketjob.plugins.job.where_check import InvalidWhereFilterError, check_where, shape_problem

ACCEPTED = [
    {"priority": {"$lte": 20}},
    {"queue_name": "emails"},
    {"$or": [{"priority": 1}, {"tags": {"$in": ["a", "b"]}}]},
    {"data": {"region": "eu"}},
    {"tags": {"$elemMatch": {"$gt": 3}}},
    {"items": {"$elemMatch": {"kind": "x", "n": {"$gte": 2}}}},
    {"name": {"$not": {"$regex": "^tmp"}}},
    {"$expr": {"$gt": ["$priority", 10]}},
]

REFUSED = [
    ([1], "must be a JSON object, got list"),
    ({"$bogus": 1}, "unknown operator $bogus"),
    ({"a": {"$bogus": 1}}, "unknown operator $bogus (in a)"),
    ({"$and": []}, "$and needs a non-empty list"),
    ({"$nor": [1]}, "$nor[0] must be a JSON object"),
    ({"a": {"$in": 5}}, "$in needs a list"),
    ({"a": {"$gt": 1, "b": 2}}, "a mixes operators and field names"),
    ({"a": {"$not": {"$bogus": 1}}}, "unknown operator $bogus"),
    ({"a": {"$elemMatch": {"b": {"$bogus": 1}}}}, "unknown operator $bogus (in a.b)"),
    ({"a": {"$size": "3"}}, "$size needs a whole number"),
    ({"$where": "true"}, "$where (server-side JavaScript) is not allowed"),
    ({"": 1}, "a field name is empty"),
    ({"a": {"$regex": "("}}, "$regex '(' is not a valid regular expression"),
]


@pytest.mark.parametrize("where", ACCEPTED)
def test_queries_workers_use_are_accepted(where: dict[str, object]) -> None:
    assert shape_problem(where) is None
    check_where(where)


@pytest.mark.parametrize(("where", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_queries_mongodb_would_refuse_or_ignore_are_refused(where: object, message: str) -> None:
    with pytest.raises(InvalidWhereFilterError) as caught:
        check_where(where, "--where")
    assert str(caught.value).startswith("--where is not a valid query: ")
    assert message in str(caught.value)


def test_the_where_filter_setting_is_checked_by_a_system_check() -> None:
    from tests.server import url_with_database

    url = url_with_database("rocketjob_test")
    try:
        with override_settings(ROCKETJOB={"mongodb_url": url, "where_filter": {"$bogus": 1}}):
            errors = [m for m in run_checks(tags=["rocketjob"]) if m.id == "rocketjob.E003"]
        with override_settings(ROCKETJOB={"mongodb_url": url, "where_filter": {"a": 1}}):
            assert [m for m in run_checks(tags=["rocketjob"]) if m.id == "rocketjob.E003"] == []
    finally:
        reset_settings_cache()
    assert len(errors) == 1
    assert "the where_filter setting is not a valid query: unknown operator $bogus" in (
        errors[0].msg
    )
