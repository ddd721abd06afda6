"""``Subscriber``: handles the events of one kind (``server``, ``worker``, ``logger``).

An event ``{subscriber: "server", action: "pause", parameters: {...}}`` calls
``ServerSubscriber.on_pause(**parameters)``. Unknown actions and bad parameters are logged,
never raised into the listener: an event written by a newer version must not stop a server.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from rocketjob.events.event import Event

logger = logging.getLogger(__name__)


class Subscriber:
    name: ClassVar[str] = ""

    def handle(self, event: Event) -> Any:
        handler = getattr(self, f"on_{event.action}", None)
        if handler is None:
            logger.warning("ignored event with unknown action", extra={"event": str(event)})
            return None
        logger.info("event received", extra={"event": str(event)})
        try:
            return handler(**(event.parameters or {}))
        except TypeError as exc:
            logger.warning(
                "ignored event with bad parameters: %s", exc, extra={"event": str(event)}
            )
            return None


class Dispatcher:
    """Routes events addressed to ``server_name`` to the subscriber named in the event."""

    def __init__(self, server_name: str, subscribers: list[Subscriber]) -> None:
        self.server_name = server_name
        self.subscribers = {s.name: s for s in subscribers}

    def __call__(self, event: Event) -> None:
        if not event.targets(self.server_name):
            return
        subscriber = self.subscribers.get(event.subscriber)
        if subscriber is None:
            logger.warning("ignored event for unknown subscriber", extra={"event": str(event)})
            return
        subscriber.handle(event)
