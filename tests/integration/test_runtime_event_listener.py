"""The event listener's polling: old events ignored, late-arriving ids from skewed clocks seen."""

from __future__ import annotations

from datetime import timedelta

from bson import ObjectId

from rocketjob.events import publish
from rocketjob.events.event import Event
from rocketjob.events.listener import EventListener
from rocketjob.plugins.job.model import utc_now
from tests.helpers import wait_for


def test_events_before_start_are_ignored_and_each_new_one_is_dispatched_once() -> None:
    publish("pause")  # sent before this server started: not for it
    received: list[Event] = []
    listener = EventListener(received.append, poll_seconds=0.05).start()
    try:
        publish("resume")
        publish("thread_dump", server_name="x:1")
        wait_for(lambda: len(received) == 2)
        # An event from a host whose clock is 5 s behind gets an "older" _id than the ones
        # already seen, and is still dispatched.
        skewed = ObjectId.from_datetime(utc_now() - timedelta(seconds=5))
        Event._get_collection().insert_one(
            {"_id": skewed, "subscriber": "server", "action": "refresh", "created_at": utc_now()}
        )
        wait_for(lambda: len(received) == 3)
        assert listener.poll() == 0  # nothing is dispatched twice
    finally:
        listener.stop()
    assert [e.action for e in received] == ["resume", "thread_dump", "refresh"]
    assert received[1].server_name == "x:1"


def test_a_failing_handler_does_not_stop_the_listener() -> None:
    received: list[str] = []

    def handler(event: Event) -> None:
        received.append(event.action)
        if event.action == "pause":
            raise RuntimeError("handler bug")

    listener = EventListener(handler, poll_seconds=0.05).start()
    try:
        publish("pause")
        publish("resume")
        wait_for(lambda: received == ["pause", "resume"])
    finally:
        listener.stop()
