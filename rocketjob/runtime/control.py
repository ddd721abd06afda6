"""Controlling running servers from a shell: list them, resolve names, publish events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rocketjob.events import publish
from rocketjob.plugins.job.model import as_utc, utc_now
from rocketjob.runtime.server import Server


class NoSuchServerError(ValueError):
    pass


def resolve(name: str) -> list[str | None]:
    """Target server names for ``name``: ``[None]`` (all) when empty, an exact name, or every
    server whose name contains ``name``."""
    if not name:
        return [None]
    names = sorted(Server.objects.distinct("name"))
    if name in names:
        return [name]
    matches = [candidate for candidate in names if name in candidate]
    if not matches:
        known = ", ".join(names) or "none are running"
        raise NoSuchServerError(f"no server name contains {name!r}; servers: {known}")
    return list(matches)


def send(action: str, name: str = "", **parameters: Any) -> list[str]:
    """Publish ``action`` to the servers ``name`` resolves to; returns a line per event."""
    lines = []
    for target in resolve(name):
        publish(action, server_name=target, **parameters)
        lines.append(f"{action} -> {target or 'all servers'}")
    return lines


def _age(value: datetime | None, now: datetime) -> str:
    value = as_utc(value)
    return "-" if value is None else f"{(now - value).total_seconds():.1f}s"


def table(name_filter: str = "") -> list[str]:
    """A text table of registered servers, zombies marked."""
    now = utc_now()
    rows = [("NAME", "STATE", "WORKERS", "ACTIVE", "HEARTBEAT", "UP", "ZOMBIE")]
    for server in Server.objects.order_by("name"):
        if name_filter and name_filter not in server.name:
            continue
        beat = server.heartbeat
        rows.append(
            (
                server.name,
                server.state,
                f"{beat.workers if beat else 0}/{server.max_workers}",
                str(beat.active_workers if beat else 0),
                _age(beat.updated_at if beat else None, now),
                _age(server.started_at, now),
                "yes" if server.is_zombie(now) else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
