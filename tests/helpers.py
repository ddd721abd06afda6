"""Small helpers shared by tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
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


def stored_documents() -> dict[str, list[Any]]:
    """Every document of every collection of the jobs and slices databases, in ``_id`` order:
    jobs, servers, Dirmon entries, events and slices. Equal before and after a request means
    the request changed nothing."""
    from rocketjob.connection import jobs_db, slices_db

    state: dict[str, list[Any]] = {}
    for database in (jobs_db(), slices_db()):
        for name in sorted(database.list_collection_names()):
            documents = database[name].find({}, sort=[("_id", 1)])
            state[f"{database.name}.{name}"] = list(documents)
    return state


def settled_documents() -> dict[str, list[Any]]:
    """:func:`stored_documents` once the job metrics recorded so far are written: they are
    written by a background flusher every few seconds, so a snapshot taken before an action
    could otherwise differ from one taken after it by a flush the action did not cause."""
    from rocketjob.metrics import recorder

    recorder.stop()  # writes what is pending; the next recorded job starts a new flusher
    return stored_documents()


def race_in_processes(script: str, env: dict[str, str], processes: int = 4) -> list[list[str]]:
    """Run ``script`` (a format string with ``{start}``) in ``processes`` ``manage.py shell``
    processes that all begin at the same wall-clock second; return each one's last output line,
    split on commas. Used by the race tests of the exclusive-key plugins."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = script.format(start=time.time() + 6)
    running = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = []
    for process in running:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(out.strip().splitlines()[-1].split(","))
    return outputs


def race_in_threads(
    create: Callable[[], object], threads: int = 8
) -> tuple[list[object], list[BaseException]]:
    """Call ``create`` in ``threads`` threads released together; return what each returned
    and the DuplicateJobErrors raised (any other exception fails the test)."""
    import threading

    from rocketjob import DuplicateJobError

    created: list[object] = []
    refused: list[BaseException] = []
    start = threading.Barrier(threads)

    def run() -> None:
        start.wait()
        try:
            created.append(create())
        except DuplicateJobError as exc:
            refused.append(exc)

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(60)
    return created, refused


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


@contextmanager
def only_incoming_allowed(tmp_path: Path, secret: str = "root:TOP-SECRET") -> Iterator[Path]:
    """``tmp_path/incoming`` as the only allowed path, a secret file ``tmp_path/shadow`` beside
    it (outside the allow-list); yields the allowed directory."""
    from django.conf import settings
    from django.test import override_settings

    allowed = tmp_path / "incoming"
    allowed.mkdir()
    (tmp_path / "shadow").write_text(f"{secret}\n")
    with override_settings(
        ROCKETJOB={**settings.ROCKETJOB, "dirmon_allowed_paths": [str(allowed)]}
    ):
        yield allowed
