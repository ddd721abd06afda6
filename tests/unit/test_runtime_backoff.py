"""Backoff, retries and log formatting of the worker runtime (no database)."""

from __future__ import annotations

import logging
import threading

import pytest
from pymongo.errors import AutoReconnect

from rocketjob.runtime import health
from rocketjob.runtime.backoff import Backoff, retry_db
from rocketjob.runtime.logs import KeyValueFormatter
from rocketjob.runtime.server import server_of_worker


@pytest.fixture(autouse=True)
def _forget_failures() -> None:
    health.reset()


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    backoff = Backoff(base=0.1, cap=1.0)
    delays = [backoff.next_delay() for _ in range(12)]
    assert 0.05 <= delays[0] <= 0.15
    assert all(0.5 <= d <= 1.5 for d in delays[6:])
    backoff.reset()
    assert backoff.next_delay() <= 0.15


def test_retry_db_retries_until_the_operation_succeeds() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise AutoReconnect("down")
        return "done"

    assert retry_db(flaky, "test", cap=0.01) == "done"
    assert len(calls) == 3
    assert not health.is_stable(60)
    assert health.is_stable(0)


def test_retry_db_gives_up_at_its_timeout_or_when_stopped() -> None:
    def down() -> None:
        raise AutoReconnect("down")

    with pytest.raises(AutoReconnect):
        retry_db(down, "test", timeout=0.05, cap=0.01)
    stop = threading.Event()
    stop.set()
    with pytest.raises(AutoReconnect):
        retry_db(down, "test", stop=stop)


def test_other_errors_are_not_retried() -> None:
    def broken() -> None:
        raise ValueError("bug")

    with pytest.raises(ValueError, match="bug"):
        retry_db(broken, "test")
    assert health.is_stable(60)


def test_formatter_appends_structured_fields() -> None:
    record = logging.LogRecord("rocketjob.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.job_id = "abc"
    record.duration_ms = 1.5
    text = KeyValueFormatter().format(record)
    assert text.endswith("rocketjob.x: hello you duration_ms=1.5 job_id='abc'")


def test_worker_names_map_to_their_server() -> None:
    assert server_of_worker("web1:4242:3") == "web1:4242"
    assert server_of_worker("pg-0:0") == "pg-0"
    assert server_of_worker("inline") is None
