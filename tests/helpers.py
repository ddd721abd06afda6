"""Small helpers shared by tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

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
