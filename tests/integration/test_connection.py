"""The connection glue: one client per registration, however many threads use it first."""

from __future__ import annotations

import gc
import warnings
from typing import TYPE_CHECKING

from mongoengine.connection import get_connection

from rocketjob.connection import JOBS_ALIAS, SLICES_ALIAS, connect, disconnect
from tests.helpers import race_in_threads

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def test_threads_using_an_alias_first_at_once_share_one_client(
    rocketjob_db: TestDatabase,
) -> None:
    disconnect()
    connect(rocketjob_db.settings)  # a fresh registration: no client yet
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        clients, _ = race_in_threads(lambda: get_connection(JOBS_ALIAS), threads=8)
        gc.collect()  # a client dropped by a lost race would warn "Unclosed MongoClient" here
    assert len(clients) == 8
    assert len({id(client) for client in clients}) == 1
    assert get_connection(SLICES_ALIAS) is clients[0]  # same URL: the aliases share it
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert clients[0].admin.command("ping")["ok"] == 1
