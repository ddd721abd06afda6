"""MongoDB connections: the ``rocketjob`` alias (jobs, servers, events) and
``rocketjob_slices`` (batch slices, which may live on another cluster).

This is the thin glue django-mongoengine would have provided; we do not depend on it because
its only release pins Django < 4.3.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlparse

import mongoengine
from mongoengine.connection import get_db
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure

from rocketjob.conf import RocketJobSettings, get_settings

logger = logging.getLogger(__name__)

JOBS_ALIAS = "rocketjob"
SLICES_ALIAS = "rocketjob_slices"

_connected_urls: dict[str, str] = {}


class SingleClient:
    """The client factory mongoengine is given for one registration: it creates at most one
    ``MongoClient`` and hands the same one to every caller.

    mongoengine creates an alias's client on its first use, without a lock: two threads using
    an alias for the first time at once (two Mission Control requests, a worker thread and a
    flusher) would each create one, and the one overwritten is dropped unclosed, its monitor
    threads and sockets left running. A registration (:func:`connect`) gets a new factory,
    shared by both aliases when they have the same URL, so mongoengine still shares the client.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: MongoClient[Any] | None = None

    def __call__(self, **settings: Any) -> MongoClient[Any]:
        with self._lock:
            if self._client is None:
                self._client = MongoClient(**settings)
            return self._client


def database_name_of(url: str, default: str) -> str:
    """The database named in the URL's path, or ``default``."""
    name = urlparse(url).path.lstrip("/")
    return name or default


def resolve_urls(settings: RocketJobSettings) -> tuple[str, str]:
    """The jobs and slices URLs, starting the embedded server when none is configured."""
    jobs_url = settings.mongodb_url
    if not jobs_url:
        from rocketjob.embedded_shared import ensure_shared_server

        jobs_url = ensure_shared_server(settings.embedded_data_dir)
    return jobs_url, settings.slices_mongodb_url or jobs_url


def connect(settings: RocketJobSettings | None = None) -> None:
    """Register both aliases with mongoengine (idempotent; reconnects if the URL changed)."""
    settings = settings or get_settings()
    jobs_url, slices_url = resolve_urls(settings)
    factories: dict[str, SingleClient] = {}
    for alias, url in ((JOBS_ALIAS, jobs_url), (SLICES_ALIAS, slices_url)):
        if _connected_urls.get(alias) == url:
            continue
        if alias in _connected_urls:
            mongoengine.disconnect(alias)
        mongoengine.register_connection(
            alias,
            host=url,
            db=database_name_of(url, settings.database_name),
            serverSelectionTimeoutMS=settings.server_selection_timeout_ms,
            tz_aware=True,
            uuidRepresentation="standard",
            mongo_client_class=factories.setdefault(url, SingleClient()),
        )
        _connected_urls[alias] = url


def disconnect() -> None:
    """Close both aliases; documents forget their cached collections."""
    for alias in list(_connected_urls):
        mongoengine.disconnect(alias)
        del _connected_urls[alias]


def jobs_db() -> Database[Any]:
    """The pymongo database that holds jobs, servers and events."""
    return get_db(JOBS_ALIAS)


def slices_db() -> Database[Any]:
    """The pymongo database that holds batch slices."""
    return get_db(SLICES_ALIAS)


def ensure_indexes() -> None:
    """Create the indexes every collection needs (safe to call repeatedly)."""
    from rocketjob.job import Job

    Job.ensure_indexes()
    for hook in _index_hooks:
        hook()


_index_hooks: list[Any] = []


def register_index_hook(hook: Any) -> None:
    """Let other modules (servers, events, dirmon) add their indexes to ensure_indexes()."""
    if hook not in _index_hooks:
        _index_hooks.append(hook)


def ensure_ttl_index(collection_name: str, field_name: str, index_name: str, seconds: int) -> None:
    """Create a TTL index on ``field_name``, or change its expiry to ``seconds``.

    A TTL index whose expiry changed in the settings conflicts with the existing one; the
    expiry is then changed in place with ``collMod`` (by key pattern: the embedded server
    does not keep index names), so restarting with a new retention is all it takes.
    """
    collection = jobs_db()[collection_name]
    try:
        collection.create_index(field_name, name=index_name, expireAfterSeconds=seconds)
    except OperationFailure as exc:
        if exc.code not in (85, 86):  # IndexOptionsConflict, IndexKeySpecsConflict
            raise
        jobs_db().command(
            "collMod",
            collection_name,
            index={"keyPattern": {field_name: 1}, "expireAfterSeconds": seconds},
        )
