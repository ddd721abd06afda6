"""The viewer's time zone: every date Mission Control shows is rendered in it.

The browser reports its zone (``Intl.DateTimeFormat().resolvedOptions().timeZone``) in the
``mc_tz`` cookie (set by mission_control.js); the setting ``MISSION_CONTROL_TIME_ZONE`` is
the default before the browser has said, and UTC the default of that. The cookie is
untrusted input: a name :mod:`zoneinfo` does not know falls back to the default, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

COOKIE = "mc_tz"
#: Longest zone name accepted (IANA names are far shorter); longer input is ignored unread.
MAX_NAME = 64
UTC = ZoneInfo("UTC")


def zone_named(name: str | None) -> ZoneInfo | None:
    """The zone called ``name``, or ``None`` for anything zoneinfo does not know."""
    if not name or len(name) > MAX_NAME or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def default_zone() -> ZoneInfo:
    return zone_named(getattr(settings, "MISSION_CONTROL_TIME_ZONE", None)) or UTC


def request_zone(request: HttpRequest) -> ZoneInfo:
    """The zone this viewer's browser reported, else the configured default."""
    return zone_named(request.COOKIES.get(COOKIE)) or default_zone()


@contextmanager
def activated(zone: ZoneInfo) -> Iterator[None]:
    previous = timezone.get_current_timezone()
    timezone.activate(zone)
    try:
        yield
    finally:
        timezone.activate(previous)


def in_viewer_zone(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``view`` and render its (lazy) template response in the viewer's zone."""

    @wraps(view)
    def zoned(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with activated(request_zone(request)):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return zoned
