"""Generated requests at every Mission Control URL, by every kind of user.

For each route in ``mission_control/urls.py``: GET and POST with generated path parameters
(ids that exist, random ObjectIds, odd strings, slice numbers past 64 bits), query strings and
form data, as an anonymous visitor, a staff user without Mission Control permissions, a
viewer and a superuser. Whatever is sent: never a 500 (the test client re-raises a view's
exception, so an error page cannot hide one), no traceback in the page other than a failed
job's stored backtrace shown as data, and the stored documents (jobs, servers, Dirmon
entries, events, slices) are unchanged by every GET, by every request of a user who may
change nothing, and by every request that is refused.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from mission_control import urls
from tests.helpers import settled_documents, stored_documents
from tests.properties.conftest import READ_ONLY_USERS, USERS, World
from tests.properties.strategies import budget, form_data, path_value

BASES = {
    "job": (urls.job_patterns, "admin:mission_control_job_changelist"),
    "server": (urls.server_patterns, "admin:mission_control_server_changelist"),
    "dirmon": (urls.dirmon_patterns, "admin:mission_control_dirmonentry_changelist"),
}
ROUTES = [
    (kind, str(pattern.pattern))
    for kind, (patterns, _) in BASES.items()
    for pattern in patterns(lambda view: view)
]
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
REFUSED = frozenset({400, 403, 404, 405})
#: The example budget: a few hundred requests in all, about 20 s on the CI machine.
EXAMPLES_PER_ROUTE = budget(8)


def build_path(kind: str, route: str, values: dict[str, Any]) -> str:
    base = reverse(BASES[kind][1])
    path = PARAMETER.sub(lambda m: quote(str(values[m.group(2)]), safe=""), route)
    return base + path


def test_every_route_is_covered() -> None:
    names = {p.name for patterns, _ in BASES.values() for p in patterns(lambda view: view)}
    assert len(ROUTES) == len(names) >= 20


def check_request(
    kind: str, route: str, world: World, clients: dict[str, Client], data: st.DataObject
) -> None:
    existing = dataclasses.asdict(world)
    values = {
        name: data.draw(path_value(name, existing), label=name)
        for _, name in PARAMETER.findall(route)
    }
    path = build_path(kind, route, values)
    user = data.draw(st.sampled_from(USERS), label="user")
    method = data.draw(st.sampled_from(["get", "post"]), label="method")
    payload = data.draw(form_data(existing), label="data")
    # Job metrics recorded earlier (the world's failed jobs, an allowed request before this
    # one) are written now, so that only this request can change what is stored.
    before = settled_documents()
    response = getattr(clients[user], method)(path, payload)
    assert response.status_code < 500, (path, response.status_code)
    body = response.content.decode(errors="replace")
    if "Traceback" in body:  # only as data: a failed job's stored backtrace, shown escaped
        assert "Traceback" in repr(before), body
    refused = response.status_code in REFUSED
    if method == "get" or user in READ_ONLY_USERS or refused:
        assert stored_documents() == before, (user, method, path, response.status_code)


def destructive_last(route: tuple[str, str]) -> bool:
    """Routes that can remove the world's documents run after those that read them."""
    return any(word in route[1] for word in ("bulk", "action", "destroy", "delete"))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(BASES))
def test_generated_requests_never_fail_and_change_nothing_unless_allowed(
    kind: str, world: World, clients: dict[str, Client]
) -> None:
    """Every route of ``kind`` gets its own examples (the world is built once per kind)."""
    routes = sorted((r for r in ROUTES if r[0] == kind), key=destructive_last)
    for _, route in routes:
        requests_at(kind, route, world, clients)()


def requests_at(
    kind: str, route: str, world: World, clients: dict[str, Client]
) -> Callable[[], None]:
    """A Hypothesis test of one route; its name (hence its derandomized seed) is the route's."""

    def requests(data: st.DataObject) -> None:
        check_request(kind, route, world, clients, data)

    name = re.sub(r"\W", "_", f"requests_at_{kind}_{route}")
    requests.__name__ = requests.__qualname__ = name
    return settings(max_examples=EXAMPLES_PER_ROUTE)(given(data=st.data())(requests))
