"""Field types shared by jobs, slices, servers and events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import bson
import mongoengine as me
from bson.errors import InvalidDocument


def unstorable_reason(value: Any) -> str | None:
    """Why MongoDB cannot store ``value`` (an integer beyond int64, a date past year 9999 in
    UTC, nesting too deep to encode), or None when it can.

    Checked before writing values a user typed, so they get a clear error instead of
    pymongo's OverflowError (a 500 page, a traceback) at the write.
    """
    try:
        bson.encode({"value": value})
    except (OverflowError, InvalidDocument, RecursionError) as exc:
        return f"MongoDB cannot store this value ({exc})"
    return None


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
