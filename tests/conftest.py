"""Shared fixtures: a database per test on the session's MongoDB-protocol server."""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterator

import pytest

from rocketjob.conf import RocketJobSettings, get_settings
from rocketjob.connection import connect, ensure_indexes, jobs_db
from rocketjob.metrics import recorder as metrics_recorder
from tests.server import test_server_url, url_with_database

_counter = itertools.count()


@dataclasses.dataclass
class TestDatabase:
    """The database of one test: its name, URL and resolved settings."""

    name: str
    url: str
    settings: RocketJobSettings

    def subprocess_env(self) -> dict[str, str]:
        """Environment for a ``manage.py`` subprocess that must use this database."""
        env = dict(os.environ)
        env["ROCKETJOB_TEST_DATABASE"] = self.name
        env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        env["ROCKETJOB_TEST_MONGODB_URL"] = test_server_url()
        return env


@pytest.fixture(autouse=True)
def rocketjob_db() -> Iterator[TestDatabase]:
    """Connect rocketjob to a fresh database for this test and drop it afterwards."""
    name = f"rjtest_{os.getpid()}_{next(_counter)}"
    url = url_with_database(name)
    settings = dataclasses.replace(get_settings(), mongodb_url=url)
    connect(settings)
    ensure_indexes()
    yield TestDatabase(name=name, url=url, settings=settings)
    # This test's job metrics go to its own database, and no flusher thread outlives it
    # (one would otherwise race the next test's reconnect and leak a client).
    metrics_recorder.stop()
    jobs_db().client.drop_database(name)
