"""``Event``: a command for running servers, stored in ``rocketjob_events``.

Events are plain documents in a normal collection with a TTL index on ``created_at``;
supervisors poll for new ones (see ``listener``). That works on MongoDB, DocumentDB and the
embedded server alike, unlike capped collections with tailable cursors.
"""

from __future__ import annotations

import logging

import mongoengine as me

from rocketjob.conf import get_settings
from rocketjob.connection import ensure_ttl_index, register_index_hook
from rocketjob.fields import UTCDateTimeField
from rocketjob.plugins.job.model import utc_now

logger = logging.getLogger(__name__)

EVENTS_COLLECTION = "rocketjob_events"
TTL_INDEX = "rocketjob_events_ttl"


class Event(me.Document):
    """One command: ``subscriber`` and ``action`` say what, ``server_name`` says who.

    ``server_name`` None addresses every server.
    """

    subscriber = me.StringField(required=True)
    action = me.StringField(required=True)
    server_name = me.StringField()
    parameters = me.DictField()
    created_at = UTCDateTimeField(default=utc_now, required=True)

    meta = {
        "collection": EVENTS_COLLECTION,
        # Documents written by a newer version may carry fields this one does not know.
        "strict": False,
        "db_alias": "rocketjob",
        "auto_create_index": False,
        "indexes": [],
    }

    def targets(self, server_name: str) -> bool:
        return self.server_name is None or self.server_name == server_name

    def __str__(self) -> str:
        target = self.server_name or "all servers"
        return f"Event({self.subscriber}.{self.action} -> {target} {self.parameters})"


def ensure_events_ttl_index() -> None:
    """Create the TTL index, or change its expiry when ``events_ttl_seconds`` changed."""
    ttl = int(get_settings().events_ttl_seconds)
    ensure_ttl_index(EVENTS_COLLECTION, "created_at", TTL_INDEX, ttl)


register_index_hook(ensure_events_ttl_index)
