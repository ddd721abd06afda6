"""Django system checks: configuration errors and an unreachable database are reported by
``manage.py check`` (and before ``runserver``/``rocketjob`` start) instead of surfacing later
as a worker stack trace."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from pymongo.errors import PyMongoError

from rocketjob.exceptions import ConfigurationError, RocketJobError

PING_TIMEOUT_MS = 2000


@register("rocketjob")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from rocketjob.conf import get_settings

    try:
        get_settings()
    except ConfigurationError as exc:
        return [
            Error(
                str(exc),
                hint="Fix the ROCKETJOB setting or ROCKETJOB_* variables.",
                id="rocketjob.E001",
            )
        ]
    return []


@register("rocketjob")
def check_database(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from rocketjob.conf import get_settings
    from rocketjob.connection import jobs_db

    try:
        settings = get_settings()
        db = jobs_db()
        db.client.options.pool_options  # noqa: B018 - the connection exists
        db.command("ping", maxTimeMS=PING_TIMEOUT_MS)
    except ConfigurationError:
        return []  # reported by check_settings
    except (PyMongoError, RocketJobError) as exc:
        where = settings.mongodb_url or "the embedded server"
        return [
            Error(
                f"cannot reach MongoDB at {where}: {exc}",
                hint="Start MongoDB or fix ROCKETJOB_MONGODB_URL.",
                id="rocketjob.E002",
            )
        ]
    return _check_unknown_classes()


def _check_unknown_classes() -> list[CheckMessage]:
    from rocketjob.job import Job

    try:
        unknown = Job.unknown_classes()
    except PyMongoError:
        return []
    if not unknown:
        return []
    return [
        Warning(
            f"jobs in the database have classes this project does not define: {', '.join(unknown)}",
            hint="Import the modules defining them (e.g. an app's jobs.py), or remove those jobs. "
            "Workers leave such jobs untouched.",
            id="rocketjob.W001",
        )
    ]


@register("rocketjob")
def check_where_filter(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The ``where_filter`` setting must be a query the database runs (see where_check)."""
    from rocketjob.conf import get_settings
    from rocketjob.plugins.job.where_check import InvalidWhereFilterError, check_where

    try:
        where = get_settings().where_filter
        if where:
            check_where(where, "the where_filter setting")
    except ConfigurationError:
        return []  # reported by check_settings
    except InvalidWhereFilterError as exc:
        return [
            Error(
                str(exc),
                hint="Fix ROCKETJOB['where_filter'] or ROCKETJOB_WHERE_FILTER.",
                id="rocketjob.E003",
            )
        ]
    return []
