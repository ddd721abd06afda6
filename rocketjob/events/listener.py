"""``EventListener``: a thread that polls ``rocketjob_events`` and dispatches new events.

Polling is by ``_id``. ObjectIds from different hosts are only roughly ordered (their first
four bytes are the creating host's clock, in seconds), so a plain ``_id > last_seen`` could
skip an event written a moment "earlier" by another host. The listener instead re-reads a
sliding window (``WINDOW_SECONDS``) each poll and remembers which ids it already handled.
Events that existed when the listener started are ignored: a ``stop`` sent yesterday must
not stop a server started today.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from bson import ObjectId
from pymongo.errors import PyMongoError

from rocketjob import queries
from rocketjob.events.event import Event
from rocketjob.plugins.job.model import utc_now
from rocketjob.runtime import health
from rocketjob.runtime.backoff import Backoff

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 30.0


class EventListener:
    """Calls ``dispatch(event)`` for each new event, in ``_id`` order, on its own thread."""

    def __init__(self, dispatch: Callable[[Event], None], poll_seconds: float) -> None:
        self.dispatch = dispatch
        self.poll_seconds = poll_seconds
        self._seen: dict[ObjectId, float] = {}
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="rocketjob-events", daemon=True)

    def start(self) -> EventListener:
        """Remember the events that already exist (raises PyMongoError if the DB is down)."""
        for event_id in self._window_ids():
            self._seen[event_id] = time.monotonic()
        self.thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def _since(self) -> ObjectId:
        return ObjectId.from_datetime(utc_now() - timedelta(seconds=WINDOW_SECONDS))

    def _window_ids(self) -> list[ObjectId]:
        cursor = Event._get_collection().find(queries.newer_than(self._since()), {"_id": 1})
        return [raw["_id"] for raw in cursor]

    def poll(self) -> int:
        """Dispatch the events not seen yet; returns how many were dispatched."""
        collection = Event._get_collection()
        new = [
            raw
            for raw in collection.find(queries.newer_than(self._since())).sort("_id", 1)
            if raw["_id"] not in self._seen
        ]
        now = time.monotonic()
        for raw in new:
            self._seen[raw["_id"]] = now
            event = Event._from_son(raw)
            try:
                self.dispatch(event)
            except Exception:
                logger.exception("event handler failed", extra={"event": str(event)})
        for event_id, seen_at in list(self._seen.items()):
            if now - seen_at > 2 * WINDOW_SECONDS:
                del self._seen[event_id]
        return len(new)

    def _run(self) -> None:
        backoff = Backoff(cap=5.0)
        while not self._stop.is_set():
            try:
                self.poll()
                backoff.reset()
                delay = self.poll_seconds
            except PyMongoError as exc:
                health.record_failure()
                delay = backoff.next_delay()
                if backoff.attempt == 1:
                    logger.warning("cannot poll events: %s", exc)
            except Exception:
                logger.exception("event listener error")
                delay = self.poll_seconds
            self._stop.wait(delay)
