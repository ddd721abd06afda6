"""Pure logic: query-string parsing, the MongoDB filter and sort, duration formatting."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict

from mission_control.filters import JobListParams
from mission_control.jobs_data import short_class_name, state_filter
from mission_control.templatetags.mission_control import format_seconds, percent


def params(state: str = "failed", query: str = "") -> JobListParams:
    return JobListParams.from_query(state, QueryDict(query))


def test_search_is_escaped_and_combined_with_state_and_class():
    p = params("failed", "q=a.b(c)&class=Job.X")
    query = p.mongo_filter()
    assert query["$and"][0] == {"state": {"$eq": "failed"}}
    assert query["$and"][1] == {"_cls": {"$eq": "Job.X"}}
    pattern = query["$and"][2]["$or"][0]["_cls"]["$regex"]
    assert pattern == re.escape("a.b(c)") and re.search(pattern, "xa.b(c)y")
    assert not re.search(pattern, "aXb(c)")


def test_all_without_search_has_an_empty_filter():
    assert params("all").mongo_filter() == {}


def test_sort_defaults_and_direction():
    assert params("queued").mongo_sort() == [("priority", 1), ("_id", 1)]
    assert params("failed").mongo_sort() == [("completed_at", -1), ("_id", -1)]
    assert params("all").mongo_sort() == [("_id", -1)]
    bad = params("queued", "o=__proto__")
    assert bad.order == "priority" and bad.errors


def test_paging_parameters_are_bounded():
    assert params("all", "page=-3&per_page=7").page == 1
    assert params("all", "page=x&per_page=7").per_page == 25
    assert params("all", "per_page=100").per_page == 100


def test_query_string_keeps_filters_and_drops_defaults():
    p = params("failed", "q=a b&class=Job.X&page=2")
    assert p.query_string(page=3) == "?q=a+b&class=Job.X&page=3"
    assert params("failed").query_string() == "?"


def test_state_filters():
    # $eq, in one flat $and: the shapes of rocketjob.queries.
    assert state_filter("running") == {"state": {"$eq": "running"}}
    assert state_filter("scheduled")["$and"][0] == {"state": {"$eq": "queued"}}
    queued = state_filter("queued")["$and"]
    assert queued[0] == {"state": {"$eq": "queued"}} and "$or" in queued[1]
    with pytest.raises(ValueError, match="unknown job list"):
        state_filter("bogus")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, ""),
        (0.25, "250ms"),
        (5, "5s"),
        (65, "1m 5s"),
        (3725, "1h 2m"),
        (90000, "1d 1h"),
        (3600, "1h"),
    ],
)
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_percent_is_always_a_safe_integer():
    assert [percent(v) for v in (-5, 42.7, 150, "x", None)] == [0, 42, 100, 0, 0]


def test_short_class_name():
    assert short_class_name("Job.Reports.DailyJob") == "DailyJob"
    assert short_class_name(None) == "?"


def test_system_check_names_missing_apps(monkeypatch):
    from mission_control import checks

    assert checks.check_required_apps() == []
    # Patch the lookup instead of changing INSTALLED_APPS: reloading the app registry would
    # re-run rocketjob's ready() and reconnect this process away from the test database.
    monkeypatch.setattr(checks.apps, "is_installed", lambda name: name != "rocketjob")
    assert [e.id for e in checks.check_required_apps()] == ["mission_control.E002"]
