"""``Server``: one running ``manage.py rocketjob`` process, as a document in ``rocketjob_servers``.

A supervisor registers its server at start, heartbeats it (``heartbeat.updated_at`` plus worker
counts and the jobs its workers are busy with) and removes it when it stops. A server whose
heartbeat is older than ``heartbeat_seconds * zombie_heartbeats`` is a *zombie*: its process
died (SIGKILL, OOM, lost host) without cleaning up. Any live supervisor, or the housekeeping
job, calls :meth:`Server.destroy_zombies`, which deletes each zombie with the stale heartbeat
as a precondition (so exactly one caller wins) and then re-queues the zombie's running jobs.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any

import mongoengine as me
from pymongo.errors import DuplicateKeyError

from rocketjob import queries
from rocketjob.conf import get_settings
from rocketjob.connection import register_index_hook
from rocketjob.exceptions import RocketJobError
from rocketjob.fields import UTCDateTimeField
from rocketjob.plugins.job.model import as_utc, utc_now
from rocketjob.runtime import health

logger = logging.getLogger(__name__)

SERVERS_COLLECTION = "rocketjob_servers"
SERVER_STATES = ("starting", "running", "paused", "stopping")


class ServerNameInUseError(RocketJobError):
    """Another live server already uses this name."""


def default_server_name() -> str:
    """``host:pid``, unique per process on a host."""
    return f"{socket.gethostname()}:{os.getpid()}"


def server_of_worker(worker_name: str | None) -> str | None:
    """The server part of a worker name ``<server>:<index>``, or None for other names."""
    if not worker_name or ":" not in worker_name:
        return None
    server, index = worker_name.rsplit(":", 1)
    return server if index.isdigit() else None


class ActiveWorker(me.EmbeddedDocument):
    """A worker thread that is busy with a job (shown by Mission Control)."""

    worker_name = me.StringField()
    job_id = me.StringField()
    job_class = me.StringField()
    started_at = UTCDateTimeField()


class Heartbeat(me.EmbeddedDocument):
    updated_at = UTCDateTimeField()
    #: Worker threads alive.
    workers = me.IntField(default=0)
    #: Worker threads busy with a job.
    active_workers = me.IntField(default=0)
    active = me.EmbeddedDocumentListField(ActiveWorker)


class Server(me.Document):
    """A registered worker process; see the module docstring."""

    name = me.StringField(required=True)
    host = me.StringField()
    pid = me.IntField()
    max_workers = me.IntField(default=0)
    started_at = UTCDateTimeField(default=utc_now)
    state = me.StringField(choices=SERVER_STATES, default="starting")
    heartbeat = me.EmbeddedDocumentField(Heartbeat, default=Heartbeat)
    include_filter = me.StringField()
    exclude_filter = me.StringField()
    #: JSON text: a Mongo query has ``$`` keys, which documents may not store as keys.
    where_filter = me.StringField()

    meta = {
        "collection": SERVERS_COLLECTION,
        # Documents written by a newer version may carry fields this one does not know.
        "strict": False,
        "db_alias": "rocketjob",
        "auto_create_index": False,
        "indexes": [{"fields": ["name"], "unique": True, "name": "rocketjob_server_name"}],
    }

    # -- registration ---------------------------------------------------------------------
    @classmethod
    def stored(cls, query: dict[str, Any] | None = None) -> list[tuple[Server, bool]]:
        """Servers matching ``query`` by name, each with whether its document could be read.

        A document that cannot be read (a field of the wrong type: a string heartbeat, a list
        state, written by another tool or by hand) must not take down every reader that lists
        servers (Mission Control's pages, the Prometheus scrape): it comes back as an unsaved
        stand-in holding only its name, as text.
        """
        found: list[tuple[Server, bool]] = []
        for raw in cls._get_collection().find(query or {}).sort("name", 1):
            try:
                server = cls._from_son(raw)
                server.validate()
            except Exception:  # any failure to read the document means: not readable
                found.append((cls(name=str(raw.get("name"))), False))
            else:
                found.append((server, True))
        return found

    @classmethod
    def register(cls, name: str, max_workers: int, **fields: Any) -> Server:
        """Insert this process's server; take over a dead server that had the same name.

        A default name (``host:pid``) can only collide with a dead process whose pid was
        reused (a container restarted as pid 1), so it is taken over at once. A custom name
        is taken over when its holder is a zombie, or ran on this host and its process is
        gone (``--processes`` restarting a crashed child); otherwise it is an operator error.
        """
        now = utc_now()
        server = cls(
            name=name,
            host=socket.gethostname(),
            pid=os.getpid(),
            max_workers=max_workers,
            started_at=now,
            heartbeat=Heartbeat(updated_at=now),
            **fields,
        )
        try:
            server.save(force_insert=True)
            return server
        except me.NotUniqueError:
            pass
        except DuplicateKeyError:
            pass
        existing = cls.objects(name=name).first()
        if existing is not None and name != default_server_name() and existing.is_alive_here():
            raise ServerNameInUseError(
                f"a live server named {name!r} is already registered (last heartbeat "
                f"{existing.heartbeat.updated_at}); choose another --name"
            )
        logger.warning("taking over dead server with the same name", extra={"server": name})
        cls.objects(name=name).delete()
        _requeue_jobs_of(name)
        server.save(force_insert=True)
        return server

    def send_heartbeat(self, workers: int, active: list[ActiveWorker]) -> bool:
        """Write the heartbeat; False when the document is gone (judged a zombie).

        The whole subdocument is replaced, which keeps dates typed on every server.
        """
        beat = Heartbeat(
            updated_at=utc_now(), workers=workers, active_workers=len(active), active=active
        )
        result = self._get_collection().update_one(
            queries.by_id(self.pk), {"$set": {"heartbeat": beat.to_mongo()}}
        )
        self.heartbeat = beat
        return result.matched_count == 1

    def set_state(self, state: str) -> None:
        if state not in SERVER_STATES:
            raise ValueError(f"unknown server state {state!r}; expected one of {SERVER_STATES}")
        self._get_collection().update_one(queries.by_id(self.pk), {"$set": {"state": state}})
        self.state = state

    def unregister(self) -> int:
        """Re-queue this server's running jobs and remove it; returns jobs re-queued."""
        requeued = _requeue_jobs_of(self.name)
        self._get_collection().delete_one(queries.by_id(self.pk))
        return requeued

    def is_alive_here(self) -> bool:
        """False when this server is a zombie, or its process on this host has exited."""
        if self.is_zombie():
            return False
        if self.host == socket.gethostname() and self.pid:
            try:
                os.kill(int(self.pid), 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
        return True

    # -- zombies --------------------------------------------------------------------------
    @staticmethod
    def zombie_seconds() -> float:
        settings = get_settings()
        return settings.heartbeat_seconds * settings.zombie_heartbeats

    def is_zombie(self, now: datetime | None = None) -> bool:
        updated = as_utc(self.heartbeat.updated_at if self.heartbeat else None)
        updated = updated or as_utc(self.started_at)
        if updated is None:
            return True
        cutoff = (now or utc_now()) - timedelta(seconds=self.zombie_seconds())
        return updated < cutoff

    @classmethod
    def zombies(cls) -> list[Server]:
        cutoff = utc_now() - timedelta(seconds=cls.zombie_seconds())
        return list(cls.objects(__raw__={"heartbeat.updated_at": {"$lt": cutoff}}))

    @classmethod
    def destroy_zombies(cls, exclude: str | None = None) -> int:
        """Remove zombie servers and re-queue their jobs; returns how many were removed.

        ``exclude`` is the caller's own server name: a supervisor that is merely late with its
        own heartbeat (a stalled machine) must never re-queue the jobs its threads still run.

        Also re-queues *orphans*: running jobs whose worker's server is not registered at
        all (its remover died between the delete and the re-queue). Does nothing while this
        process has seen the database fail within the last zombie window (see ``health``).
        """
        window = cls.zombie_seconds()
        if not health.is_stable(window):
            logger.info("zombie check postponed: the database failed recently")
            return 0
        destroyed = 0
        for zombie in cls.zombies():
            if exclude is not None and zombie.name == exclude:
                continue
            requeued = zombie.destroy_if_zombie()
            if requeued is None:
                continue  # it heartbeated meanwhile, or another supervisor won
            destroyed += 1
            logger.warning(
                "destroyed zombie server",
                extra={
                    "server": zombie.name,
                    "last_heartbeat": str(zombie.heartbeat.updated_at),
                    "requeued_jobs": requeued,
                },
            )
        cls.requeue_orphans()
        return destroyed

    def destroy_if_zombie(self) -> int | None:
        """Remove this server if it is still a zombie, then re-queue its running jobs.

        The delete is conditional on the stale heartbeat, so a server that heartbeated
        meanwhile (or that another supervisor removed first) is left alone: then None.
        Returns how many jobs were re-queued.
        """
        cutoff = utc_now() - timedelta(seconds=self.zombie_seconds())
        deleted = self._get_collection().delete_one(
            queries.by_id(self.pk, {"heartbeat.updated_at": {"$lt": cutoff}})
        )
        if deleted.deleted_count != 1:
            return None
        return _requeue_jobs_of(self.name)

    @classmethod
    def requeue_orphans(cls) -> int:
        """Re-queue running jobs claimed by a worker of a server that is not registered."""
        from rocketjob.job import Job

        # Running jobs first, then servers: a job claimed after the first read is not
        # considered, and a job read first belongs to a server registered before it.
        worker_names = Job._get_collection().distinct("worker_name", queries.running())
        claimed_by = {server_of_worker(name) for name in worker_names} - {None}
        if not claimed_by:
            return 0
        live = set(cls._get_collection().distinct("name"))
        requeued = 0
        for server_name in sorted(str(name) for name in claimed_by - live):
            count = _requeue_jobs_of(server_name)
            requeued += count
            if count:
                logger.warning(
                    "re-queued jobs of an unregistered server",
                    extra={"server": server_name, "requeued_jobs": count},
                )
        return requeued

    # -- reading --------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """A plain dict for listings and JSON."""
        beat = self.heartbeat or Heartbeat()
        return {
            "name": self.name,
            "state": self.state,
            "zombie": self.is_zombie(),
            "max_workers": self.max_workers,
            "workers": beat.workers,
            "active_workers": beat.active_workers,
            "started_at": self.started_at,
            "heartbeat_at": beat.updated_at,
            "active": [
                {
                    "worker_name": a.worker_name,
                    "job_id": a.job_id,
                    "job_class": a.job_class,
                    "started_at": a.started_at,
                }
                for a in beat.active
            ],
        }

    def __str__(self) -> str:
        return f"Server({self.name}, {self.state})"


def _requeue_jobs_of(server_name: str) -> int:
    from rocketjob.job import Job
    from rocketjob.runtime.claim import requeue_dead_server

    return requeue_dead_server(Job, server_name)


def _ensure_indexes() -> None:
    Server.ensure_indexes()


register_index_hook(_ensure_indexes)
