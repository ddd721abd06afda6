"""Reading servers and their active workers, and sending them commands (events).

Servers change state only by themselves: Mission Control *publishes events* (pause, resume,
stop, kill, thread dump) that each supervisor picks up on its next poll. Removing a zombie is
the one direct write, done with the same stale-heartbeat precondition the supervisors use, so
a server that heartbeats meanwhile is never removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rocketjob import queries
from rocketjob.events import publish
from rocketjob.job import Job
from rocketjob.plugins.job.model import as_utc, utc_now
from rocketjob.runtime.server import SERVER_STATES, Server

SERVER_LISTS = ("all", *SERVER_STATES, "zombie")


@dataclass(frozen=True)
class ServerAction:
    name: str
    label: str
    done: str
    confirm: bool = False

    def allowed(self, server: Server, zombie: bool) -> bool:
        if self.name == "destroy":
            return zombie
        if zombie:
            return False
        if self.name == "pause":
            return server.state == "running"
        if self.name == "resume":
            return server.state == "paused"
        if self.name == "stop":
            return server.state != "stopping"
        return True


SERVER_ACTIONS = {
    a.name: a
    for a in (
        ServerAction("pause", "Pause", "asked to pause"),
        ServerAction("resume", "Resume", "asked to resume"),
        ServerAction("stop", "Stop", "asked to stop", confirm=True),
        ServerAction("kill", "Kill", "asked to kill its workers and exit", confirm=True),
        ServerAction("thread_dump", "Thread dump", "asked to log a thread dump"),
        ServerAction("destroy", "Destroy", "destroyed", confirm=True),
    )
}


def zombie_cutoff() -> datetime:
    return utc_now() - timedelta(seconds=Server.zombie_seconds())


def server_filter(state: str) -> dict[str, Any]:
    cutoff = zombie_cutoff()
    if state == "all":
        return {}
    if state == "zombie":
        return {"heartbeat.updated_at": {"$lt": cutoff}}
    if state in SERVER_STATES:
        return queries.all_of(
            queries.eq("state", state), {"heartbeat.updated_at": {"$gte": cutoff}}
        )
    raise ValueError(f"unknown server list {state!r}; expected one of {SERVER_LISTS}")


def server_counts() -> dict[str, int]:
    counts = dict.fromkeys(SERVER_LISTS, 0)
    for server, readable in Server.stored():
        counts["all"] += 1
        if readable:
            counts["zombie" if server.is_zombie() else server.state] += 1
    return counts


@dataclass
class ServerRow:
    server: Server
    zombie: bool
    unreadable: bool = False

    @property
    def heartbeat_at(self) -> datetime | None:
        return as_utc(self.server.heartbeat.updated_at) if self.server.heartbeat else None

    @property
    def display_state(self) -> str:
        if self.unreadable:
            return "unreadable"
        return "zombie" if self.zombie else str(self.server.state)


def server_rows(state: str) -> list[ServerRow]:
    return [
        ServerRow(server, server.is_zombie()) if readable else ServerRow(server, False, True)
        for server, readable in Server.stored(server_filter(state))
    ]


def apply_server_action(action: ServerAction, name: str) -> tuple[bool, str]:
    matching = Server.stored(queries.eq("name", name))
    server = next((server for server, readable in matching if readable), None)
    if server is None and matching:
        return False, f"Server {name} cannot be read (its document is corrupt); nothing changed."
    if server is None:
        return False, f"Server {name} is no longer registered."
    zombie = server.is_zombie()
    if not action.allowed(server, zombie):
        state = "a zombie" if zombie else server.state
        return False, f"Server {name} cannot be {action.done} while it is {state}."
    if action.name == "destroy":
        requeued = server.destroy_if_zombie()
        if requeued is None:
            return False, f"Server {name} was not destroyed: it sent a heartbeat meanwhile."
        return True, f"Server {name} destroyed; {requeued} running job(s) re-queued."
    publish(action.name, server_name=name)
    return True, f"Server {name} {action.done}."


def destroy_zombies() -> int:
    return Server.destroy_zombies()


@dataclass
class WorkerRow:
    server_name: str
    worker_name: str
    zombie: bool
    job_id: str
    job_class: str
    started_at: datetime | None
    description: str = ""

    @property
    def job_id_readable(self) -> bool:
        """Whether the heartbeat's job id is a job id (it is linked only then)."""
        from mission_control.jobs_data import parse_id

        return parse_id(self.job_id) is not None

    @property
    def seconds(self) -> float:
        started = as_utc(self.started_at)
        return (utc_now() - started).total_seconds() if started else 0.0


def active_workers(server: str = "", job_id: str = "") -> list[WorkerRow]:
    """Busy workers from every server's last heartbeat, longest running first."""
    query: dict[str, Any] = queries.eq("name", server) if server else {}
    rows: list[WorkerRow] = []
    for srv in (srv for srv, readable in Server.stored(query) if readable):
        zombie = srv.is_zombie()
        for active in srv.heartbeat.active if srv.heartbeat else []:
            if job_id and active.job_id != job_id:
                continue
            rows.append(
                WorkerRow(
                    srv.name,
                    active.worker_name or "",
                    zombie,
                    active.job_id or "",
                    (active.job_class or "").rsplit(".", 1)[-1],
                    active.started_at,
                )
            )
    _add_descriptions(rows)
    return sorted(rows, key=lambda row: row.seconds, reverse=True)


def _add_descriptions(rows: list[WorkerRow]) -> None:
    from mission_control.jobs_data import parse_id

    ids = [oid for oid in (parse_id(r.job_id) for r in rows) if oid is not None]
    if not ids:
        return
    found = Job._get_collection().find({"_id": {"$in": ids}}, {"description": 1})
    descriptions = {str(raw["_id"]): raw.get("description") or "" for raw in found}
    for row in rows:
        row.description = descriptions.get(row.job_id, "")


def busy_workers_by_job() -> dict[str, int]:
    """Job id -> workers busy with it, from every server's last heartbeat."""
    counts: dict[str, int] = {}
    for server in (server for server, readable in Server.stored() if readable):
        for active in server.heartbeat.active if server.heartbeat else []:
            if active.job_id:
                counts[active.job_id] = counts.get(active.job_id, 0) + 1
    return counts
