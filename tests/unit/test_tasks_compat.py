"""Which Tasks framework the backend is built on: Django's own from 6.0, else the backport."""

from __future__ import annotations

import importlib

import django

from rocketjob.tasks import compat


def test_compat_uses_djangos_own_tasks_framework_when_django_ships_one() -> None:
    expected = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
    framework = importlib.import_module(f"{expected}.base")
    assert compat.Task is framework.Task
    assert compat.BaseTaskBackend.__module__ == f"{expected}.backends.base"
