"""Fixtures of the property suite: a small world of stored documents and one client per kind
of user. Hypothesis runs derandomized with a fixed example budget, so CI sees the same
examples every run and the suite stays within its time budget."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from rocketjob.jobs.dirmon_entry import DirmonEntry
from rocketjob.runtime.server import Server
from tests.mission_control import factories
from tests.mission_control.conftest import fast_password_hashing, make_client

__all__ = ["fast_password_hashing", "make_client"]

hypothesis_settings.register_profile(
    "rocketjob",
    deadline=None,
    derandomize=True,  # the same examples every run: CI is stable
    database=None,  # nothing written to .hypothesis/
    print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no slow "explain"
)
hypothesis_settings.load_profile("rocketjob")


@dataclasses.dataclass
class World:
    """Ids of stored documents, so generated paths also name things that exist."""

    job_ids: list[str]
    batch_id: str
    slice_ids: list[int]
    server_names: list[str]
    entry_ids: list[str]
    inbox: Path


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    allowed = {**settings.ROCKETJOB, "dirmon_allowed_paths": [str(tmp_path)]}
    with override_settings(ROCKETJOB=allowed):
        batch = factories.failed_batch(["ok", "bad one", "fine", "bad two"], description="b")
        jobs = [
            factories.queued(),
            factories.running(),
            factories.failed(),
            factories.completed(),
            factories.paused(),
            factories.scheduled(),
            batch,
        ]
        unloadable = factories.unloadable()
        entry = DirmonEntry(
            name="notes",
            pattern=str(tmp_path / "notes" / "*.txt"),
            job_class_name="FileNoteJob",
            properties={"label": "x"},
        )
        entry.save()
        server = Server.register("web1:100", max_workers=2)
        slice_ids = [int(s["_id"]) for s in batch.input().collection.find({}, {"_id": 1})]
        yield World(
            job_ids=[str(j.pk) for j in jobs] + [str(unloadable)],
            batch_id=str(batch.pk),
            slice_ids=slice_ids,
            server_names=[server.name],
            entry_ids=[str(entry.pk)],
            inbox=tmp_path,
        )


#: Kinds of user: who may change what.
USERS = ("anonymous", "staff_without_permissions", "viewer", "superuser")
#: Kinds of user that may change nothing at all.
READ_ONLY_USERS = frozenset({"anonymous", "staff_without_permissions", "viewer"})


@pytest.fixture
def clients(make_client: Callable[..., Client], db: Any) -> dict[str, Client]:
    superuser = User(username="root", is_staff=True, is_superuser=True)
    superuser.set_unusable_password()
    superuser.save()
    root = Client()
    root.force_login(superuser)
    return {
        "anonymous": Client(),
        "staff_without_permissions": make_client(None),
        "viewer": make_client("view"),
        "superuser": root,
    }
