"""Fixtures for Mission Control: users holding each role, logged-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from mission_control.roles import ensure_role_groups
from rocketjob.metrics import recorder


@pytest.fixture
def make_client(db: Any) -> Callable[..., Client]:
    """``make_client("manager")``: a client logged in as a staff user holding that role.

    ``make_client(None)`` is staff without any Mission Control permission;
    ``make_client(perms=[...])`` grants exactly the listed codenames.
    """
    groups = ensure_role_groups()
    counter = iter(range(1000))

    def make(
        role: str | None = "view", perms: list[str] | None = None, staff: bool = True
    ) -> Client:
        # No password: force_login needs none, and hashing one costs ~1 s per user here.
        user = User(username=f"user{next(counter)}", is_staff=staff)
        user.set_unusable_password()
        user.save()
        if role:
            user.groups.add(groups[role])
        for codename in perms or []:
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label="mission_control", codename=codename)
            )
        client = Client()
        client.force_login(user)
        client.username = user.username  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Tests that log in with a password do not need a slow, secure hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client_mc(make_client: Callable[..., Client]) -> Client:
    return make_client("admin")


@pytest.fixture
def quiet_recorder() -> Iterator[None]:
    """Only the minutes a test seeds are in the metrics collection (no flusher, nothing
    pending from an earlier test)."""
    recorder.ACCUMULATOR.drain()
    recorder.stop()
    yield
    recorder.ACCUMULATOR.drain()
