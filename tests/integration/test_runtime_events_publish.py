"""Publishing events: validation and storage."""

from __future__ import annotations

import pytest

from rocketjob.connection import ensure_indexes, jobs_db
from rocketjob.events import publish
from rocketjob.events.event import EVENTS_COLLECTION, Event


def test_publish_stores_an_event_for_all_or_one_server() -> None:
    publish("pause")
    publish("stop", server_name="h:1")
    events = list(Event.objects.order_by("id"))
    assert [(e.subscriber, e.action, e.server_name) for e in events] == [
        ("server", "pause", None),
        ("server", "stop", "h:1"),
    ]
    assert events[0].targets("any") and events[1].targets("h:1") and not events[1].targets("h")


def test_worker_events_are_addressed_to_the_owning_server() -> None:
    event = publish("kill_worker", worker_name="h:1:4")
    assert (event.subscriber, event.server_name) == ("worker", "h:1")


def test_log_level_is_validated_and_normalised() -> None:
    assert publish("set_log_level", level="debug").parameters["level"] == "DEBUG"
    with pytest.raises(ValueError, match="level"):
        publish("set_log_level", level="LOUD")


def test_bad_actions_and_worker_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown event action 'explode'"):
        publish("explode")
    with pytest.raises(ValueError, match="worker_name"):
        publish("stop_worker", worker_name="nocolon")
    assert Event.objects.count() == 0


def test_ttl_index_is_created() -> None:
    ensure_indexes()
    # Found by key, not name: the embedded server renames indexes (see the report).
    indexes = jobs_db()[EVENTS_COLLECTION].index_information().values()
    ttl = [i for i in indexes if list(i["key"]) == [("created_at", 1)]]
    assert [i["expireAfterSeconds"] for i in ttl] == [3600]


def test_events_and_servers_with_unknown_fields_still_load() -> None:
    from rocketjob.runtime.server import Server

    Event._get_collection().insert_one({"subscriber": "server", "action": "pause", "new": 1})
    assert Event.objects.get().action == "pause"
    Server._get_collection().insert_one({"name": "future:1", "state": "running", "new": 1})
    assert Server.objects.get(name="future:1").state == "running"
