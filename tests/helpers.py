"""Small helpers shared by tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from pymongo import MongoClient, monitoring

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.05) -> T:
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout``.

    Tests never sleep a fixed time to wait for a state: on a loaded machine that is flaky,
    and on a fast one it is slow.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


def database_snapshot() -> dict[str, int]:
    """Every collection of the jobs and slices databases with its document count.

    "A failed upload keeps nothing" means this is equal before and after: no job, no input,
    no empty output or rejects collection left behind.
    """
    from rocketjob.connection import jobs_db, slices_db

    snapshot: dict[str, int] = {}
    for database in (jobs_db(), slices_db()):
        for name in database.list_collection_names():
            snapshot[f"{database.name}.{name}"] = database[name].count_documents({})
    return snapshot


def gzip_cut_short() -> bytes:
    """A CSV gzip stream cut in half: the header is readable, the rest is not."""
    import gzip

    rows = "".join(f"r{i},{i * 7919 % 10007}\n" for i in range(5000))
    data = gzip.compress(f"Name,Amount\n{rows}".encode())
    return data[: len(data) // 2]


class FindFilters(monitoring.CommandListener):
    """The filters of the ``find`` commands a client sent: hot reads are checked for the
    shape rocketjob.queries prescribes (side-by-side fields, no top-level operator)."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def client(self) -> MongoClient[dict[str, Any]]:
        """A client of the suite's server that reports to this listener."""
        from tests import server

        return MongoClient(server.test_server_url(), event_listeners=[self])

    def top_level_operators(self) -> list[list[str]]:
        """For each filter sent, its top-level operator keys (``$and``, ``$or``...)."""
        return [[name for name in sent if name.startswith("$")] for sent in self.filters]

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.filters.append(dict(event.command["filter"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
