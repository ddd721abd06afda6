"""Field types shared by jobs, slices, servers and events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import mongoengine as me


class UTCDateTimeField(me.DateTimeField):
    """A DateTimeField that always yields timezone-aware UTC datetimes.

    Reading is tolerant of ISO-8601 strings: the embedded server (nx-27017 0.8) stores a
    datetime written with ``$set`` as a string (see docs/embedded-server.md). Real MongoDB
    returns BSON dates, for which this is a no-op.
    """

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return value
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        if isinstance(value, datetime) and value.tzinfo is not UTC:
            try:
                return value.astimezone(UTC)
            except OverflowError:  # past year 9999 in UTC: refused when saved, not here
                return value
        return value
