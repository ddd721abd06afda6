"""Generated where-filters: ``check_where`` refuses them with its own error or accepts them,
and an accepted filter is one a worker's claim can run."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rocketjob.job import Job
from rocketjob.plugins.job.where_check import FIELD_OPERATORS, TOP_LEVEL, check_where
from rocketjob.plugins.job.where_check import InvalidWhereFilterError as Refused
from rocketjob.runtime.claim_filter import ClaimFilter
from tests.properties.strategies import budget

OPERATORS = sorted(FIELD_OPERATORS | TOP_LEVEL | {"$where", "$bogus", "$"})
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=8))
keys = st.one_of(st.sampled_from(OPERATORS), st.sampled_from(["priority", "state", "a.b", ""]))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=3)
    ),
    max_leaves=8,
)


def test_a_where_filter_is_refused_clearly_or_claims_run_with_it() -> None:
    from tests.jobsapp.jobs import NoopJob

    NoopJob.create()  # some servers check an operator only against a document

    @settings(max_examples=budget(150))
    @given(where=st.one_of(st.dictionaries(keys, json_values, max_size=3), json_values))
    def filters(where: Any) -> None:
        try:
            check_where(where)
        except Refused:
            return
        claimable = [
            {"state": {"$eq": "queued"}},
            *ClaimFilter(where=where).conditions([], all_classes=True),
        ]
        Job._get_collection().find_one({"$and": claimable})

    filters()
