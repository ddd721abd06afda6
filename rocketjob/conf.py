"""Typed settings for django-rocketjob.

Values come from, in increasing precedence: built-in defaults (those of Ruby Rocket Job),
``ROCKETJOB_*`` environment variables (read with django-environ), and the ``ROCKETJOB``
dict in Django settings. Settings files are the place where operators are explicit, so the
dict wins; the environment is how containers and CI configure a deployment without code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import environ
from django.conf import settings as django_settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from rocketjob.exceptions import ConfigurationError


@dataclass(frozen=True)
class RocketJobSettings:
    """The resolved configuration; obtain it with :func:`get_settings`."""

    #: MongoDB URL for jobs, servers and events, with the database name in its path.
    #: Empty means: start and use the embedded server.
    mongodb_url: str = ""
    #: MongoDB URL for batch slices; empty means the same as ``mongodb_url``.
    slices_mongodb_url: str = ""
    #: Database used when the URL does not name one.
    database_name: str = "rocketjob"
    #: Where the embedded server keeps its data file (default: ``BASE_DIR/.rocketjob``).
    embedded_data_dir: str = ""
    max_workers: int = 10
    #: After a job's time_limit, how long its thread has to stop before it is abandoned.
    time_limit_grace_seconds: float = 10.0
    heartbeat_seconds: float = 15.0
    max_poll_seconds: float = 5.0
    re_check_seconds: float = 60.0
    #: A server that missed this many heartbeats is a zombie.
    zombie_heartbeats: int = 4
    include_filter: str = ""
    exclude_filter: str = ""
    where_filter: dict[str, Any] = field(default_factory=dict)
    #: Events older than this are removed by the TTL index.
    events_ttl_seconds: int = 3600
    #: Key for the ``encrypt`` slice serializer (urlsafe base64 of 16, 24 or 32 bytes).
    encryption_key: str = ""
    #: Milliseconds to wait for a server before a connection error is raised.
    server_selection_timeout_ms: int = 5000
    #: Directories Dirmon entries may watch and archive into (a list, or a comma-separated
    #: string in ROCKETJOB_DIRMON_ALLOWED_PATHS). Empty: no entry can be enabled.
    dirmon_allowed_paths: tuple[str, ...] | str = ()
    #: Workers record per-minute job metrics into ``rocketjob_metrics`` (docs/operations.md).
    metrics_enabled: bool = True
    #: Metrics documents older than this are removed by the TTL index (default: 7 days).
    metrics_retention_seconds: int = 604800
    #: How often a worker process flushes its in-memory metrics to the database.
    metrics_flush_seconds: float = 5.0
    #: Bearer token that lets a Prometheus scraper read Mission Control's metrics URL
    #: without a login. Empty: only staff with the view_job permission can.
    metrics_token: str = ""
    #: Packages (besides installed apps') whose modules a TaskJob's stored task path may
    #: import (a list, or a comma-separated string in ROCKETJOB_TASK_MODULES).
    task_modules: tuple[str, ...] | str = ()

    @property
    def slices_url(self) -> str:
        return self.slices_mongodb_url or self.mongodb_url

    def validate(self) -> None:
        """Raise ConfigurationError naming every invalid value."""
        problems = []
        if self.include_filter and self.exclude_filter:
            problems.append("include_filter and exclude_filter cannot both be set")
        for name in ("include_filter", "exclude_filter"):
            try:
                re.compile(getattr(self, name))
            except re.error as exc:
                problems.append(f"{name} is not a valid regular expression: {exc}")
        for name in ("max_workers", "zombie_heartbeats"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        if self.metrics_retention_seconds < 60:
            problems.append("metrics_retention_seconds must be at least 60")
        for name in (
            "heartbeat_seconds",
            "max_poll_seconds",
            "re_check_seconds",
            "metrics_flush_seconds",
            "time_limit_grace_seconds",
        ):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be greater than 0")
        for name in ("mongodb_url", "slices_mongodb_url"):
            url = getattr(self, name)
            if url and not url.startswith(("mongodb://", "mongodb+srv://")):
                problems.append(f"{name} must start with mongodb:// or mongodb+srv://")
        if problems:
            raise ConfigurationError("invalid ROCKETJOB settings: " + "; ".join(problems))


_FIELD_TYPES = {f.name: f.type for f in fields(RocketJobSettings)}
_cached: RocketJobSettings | None = None


def _from_environment() -> dict[str, Any]:
    env = environ.Env()
    values: dict[str, Any] = {}
    for name, kind in _FIELD_TYPES.items():
        key = f"ROCKETJOB_{name.upper()}"
        if key not in env.ENVIRON:
            continue
        try:
            if kind == "int":
                values[name] = env.int(key)
            elif kind == "float":
                values[name] = env.float(key)
            elif kind == "bool":
                values[name] = env.bool(key)
            elif name == "where_filter":
                values[name] = json.loads(env.str(key))
            else:
                values[name] = env.str(key)
        except (ValueError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"environment variable {key} is invalid: {exc}") from exc
    return values


def _from_settings() -> dict[str, Any]:
    configured = getattr(django_settings, "ROCKETJOB", {}) or {}
    unknown = set(configured) - set(_FIELD_TYPES)
    if unknown:
        raise ConfigurationError(
            f"unknown ROCKETJOB settings {sorted(unknown)}; valid keys: {sorted(_FIELD_TYPES)}"
        )
    return dict(configured)


def get_settings() -> RocketJobSettings:
    """Return the resolved, validated settings (cached until Django settings change)."""
    global _cached
    if _cached is None:
        values = {**_from_environment(), **_from_settings()}
        if not values.get("embedded_data_dir"):
            base_dir = getattr(django_settings, "BASE_DIR", Path.cwd())
            values["embedded_data_dir"] = str(Path(base_dir) / ".rocketjob")
        resolved = RocketJobSettings(**values)
        resolved.validate()
        _cached = resolved
    return _cached


@receiver(setting_changed)
def _reset_on_settings_change(setting: str, **kwargs: Any) -> None:
    global _cached
    if setting in ("ROCKETJOB", "BASE_DIR"):
        _cached = None


def reset_settings_cache() -> None:
    """Forget the cached settings, e.g. after changing ROCKETJOB_* environment variables."""
    global _cached
    _cached = None
