"""OnDemandJob: run a *registered* Python callable by name, with JSON keyword arguments.

The Ruby original stored Ruby source in the job and ``eval``-ed it; anyone able to create or
edit a job could run arbitrary code on every worker. Here a job can only name a callable that
the deployed code registered with :func:`on_demand`::

    # myapp/jobs.py (imported by every worker and by Mission Control)
    from rocketjob.jobs import on_demand

    @on_demand("reports.rebuild")
    def rebuild_report(report_id: int, full: bool = False) -> int:
        ...
        return rows

    OnDemandJob.create(callable_name="reports.rebuild", arguments={"report_id": 7})

The return value is kept in ``result``. A callable that declares a ``job`` parameter receives
the running job (for logging or progress). OnDemandJob is a Cron job without a schedule by
default (set ``cron_schedule`` to repeat it) and does not retry (``retry_limit = 0``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import mongoengine as me

from rocketjob.exceptions import RocketJobError
from rocketjob.job import Job
from rocketjob.plugins.cron import Cron
from rocketjob.plugins.retry import Retry

F = TypeVar("F", bound=Callable[..., Any])
_registry: dict[str, Callable[..., Any]] = {}


class UnknownCallableError(RocketJobError, LookupError):
    """No callable is registered under the name an OnDemandJob asks for."""


def on_demand(name: str | None = None) -> Callable[[F], F]:
    """Register a callable for OnDemandJob under ``name`` (default ``module.qualname``)."""

    def register(function: F) -> F:
        key = name or f"{function.__module__}.{function.__qualname__}"
        existing = _registry.get(key)
        if existing is not None and existing is not function:
            same = (existing.__module__, existing.__qualname__) == (
                function.__module__,
                function.__qualname__,
            )
            if not same:
                raise ValueError(f"an on-demand callable named {key!r} is already registered")
        _registry[key] = function
        return function

    return register


def registered_callables() -> dict[str, Callable[..., Any]]:
    """Name -> callable, for every callable registered in this process."""
    return dict(_registry)


def lookup(name: str) -> Callable[..., Any]:
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise UnknownCallableError(
            f"no on-demand callable is registered as {name!r} (registered: {known}); "
            "decorate it with @rocketjob.jobs.on_demand in a module every process imports"
        ) from None


class OnDemandJob(Cron, Retry, Job):
    """Calls ``registered_callables()[callable_name](**arguments)``."""

    destroy_on_complete = False
    retry_limit = 0

    callable_name = me.StringField(required=True, user_editable=True, copy_on_restart=True)
    arguments = me.DictField(user_editable=True, copy_on_restart=True)
    result = me.DynamicField()

    def clean(self) -> None:
        super().clean()
        # Checked when the name is set, not on every later transition: a worker that lacks
        # the registration must still be able to fail the job.
        if self.callable_name and (
            self.pk is None or "callable_name" in self._get_changed_fields()
        ):
            try:
                lookup(self.callable_name)
            except UnknownCallableError as exc:
                raise me.ValidationError(str(exc), field_name="callable_name") from exc

    def perform(self) -> Any:
        function = lookup(self.callable_name)
        kwargs = dict(self.arguments or {})
        if "job" in inspect.signature(function).parameters:
            kwargs["job"] = self
        self.result = function(**kwargs)
        return self.result
