"""Generated input: path parameters, query strings and form data for Mission Control, and
arguments for the management commands. Each strategy mixes values that name real things
(so the code past the lookup runs) with values that are merely odd."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import strategies as st

from mission_control.actions import ACTIONS
from mission_control.servers_data import SERVER_ACTIONS
from rocketjob.plugins.job.model import STATES

#: CI runs the fixed budget (1); ``ROCKETJOB_PROPERTY_SCALE=10`` multiplies every test's
#: example count for a longer hunt on a developer's machine.
SCALE = max(1, int(os.environ.get("ROCKETJOB_PROPERTY_SCALE", "1")))


def budget(examples: int) -> int:
    """``examples`` times SCALE: the max_examples of one property."""
    return examples * SCALE


#: Integers the ``<int:...>`` converters accept, including ones past 64 bits.
HUGE_INTS = [2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30]
slice_numbers = st.one_of(st.sampled_from(HUGE_INTS), st.integers(0, 40))

#: Text without "/" (a path segment), including control, quote and non-ASCII characters.
odd_text = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/"),
        max_size=30,
    ),
    st.sampled_from(
        ["", " ", "..", "%", "<script>", "'\"", "$where", "{}", "[]", "null", "-1", "0" * 40]
    ),
)
object_ids = st.from_regex(r"\A[0-9a-f]{24}\Z")
STATE_NAMES = [*STATES, "all", "scheduled", "zombie", "running", "enabled", "pending"]


def identifiers(existing: list[str], favourite: str | None = None) -> st.SearchStrategy[str]:
    """Existing ids (``favourite`` - the one with the most pages behind it - most often),
    ObjectIds that name nothing, and odd strings."""
    choices = [st.sampled_from(existing), object_ids, odd_text]
    if favourite is not None:
        choices[:0] = [st.just(favourite)] * 2
    return st.one_of(*choices)


def path_value(name: str, existing: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value for the path parameter ``name`` of a Mission Control route."""
    if name == "slice_id":
        return st.one_of(st.sampled_from([int(s) for s in existing["slice_ids"]]), slice_numbers)
    if name == "index":
        return slice_numbers
    if name == "job_id":
        return identifiers(existing["job_ids"], existing["batch_id"])
    if name == "entry_id":
        return identifiers(existing["entry_ids"])
    if name == "state":
        return st.one_of(st.sampled_from(STATE_NAMES), odd_text)
    if name == "action_name":
        names = [*ACTIONS, *SERVER_ACTIONS]
        return st.one_of(st.sampled_from(names), odd_text)
    if name == "event":
        return st.one_of(st.sampled_from(["enable", "disable", "destroy", "edit"]), odd_text)
    return odd_text


#: Form and query keys the views read, and values that mean something to them.
FORM_KEYS = [
    "action",
    "bulk_action",
    "post",
    "next",
    "_selected_action",
    "expected_state",
    "category",
    "name",
    "record",
    "priority",
    "description",
    "run_at",
    "log_level",
    "cron_schedule",
    "upload_file_name",
    "pattern",
    "archive_directory",
    "job_class_name",
    "properties",
    "q",
    "class",
    "o",
    "page",
    "per_page",
]
MEANINGFUL = [
    "yes",
    "destroy",
    "retry",
    "abort",
    "pause",
    "stop",
    "kill",
    "main",
    "rejects",
    "/etc/passwd",
    "https://evil.example/",
    "0 0 30 2 *",
    "2026-13-45",
    "1",
    "0",
    "-1",
    str(2**63),
    "{}",
    '{"$bogus": 1}',
]


def form_values(existing: dict[str, Any]) -> st.SearchStrategy[str]:
    ids = existing["job_ids"]
    selections = st.builds(lambda i, s: f"{i}:{s}", st.sampled_from(ids), st.sampled_from(STATES))
    return st.one_of(
        st.sampled_from(MEANINGFUL),
        st.sampled_from(ids + existing["server_names"] + existing["entry_ids"]),
        selections,
        st.text(max_size=40),
        st.integers(-(2**70), 2**70).map(str),
    )


def form_data(existing: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.one_of(st.sampled_from(FORM_KEYS), st.text(min_size=1, max_size=12))
    values = st.one_of(form_values(existing), st.lists(form_values(existing), max_size=3))
    return st.dictionaries(keys, values, max_size=6)
