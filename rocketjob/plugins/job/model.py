"""The fields every job has, and the helpers that only read them.

Field options understood by django-rocketjob (mongoengine keeps unknown field keyword
arguments as attributes, so they can be declared on any field):

* ``user_editable=True``: Mission Control's edit form and Dirmon properties may set it.
* ``copy_on_restart=True``: copied into the next instance when a Cron job schedules itself.
* ``allowed_path=True``: a file path the job reads or writes; it must lie inside the allow-list
  (:mod:`rocketjob.allowed_paths`), checked when set and again before ``perform``.
* ``requires_permission="destroy_job"``: editing the field has that effect, so Mission
  Control's edit form lets only users holding that permission change it.
"""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from typing import Any

import mongoengine as me

from rocketjob.fields import UTCDateTimeField

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
STATES = ("queued", "running", "completed", "failed", "aborted", "paused")
MAX_MESSAGE_CHARS = 16_384
MAX_BACKTRACE_LINES = 100


def utc_now() -> datetime:
    """Now, as a timezone-aware UTC datetime truncated to MongoDB's millisecond precision."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime | None) -> datetime | None:
    """Treat naive datetimes as UTC so comparisons never mix naive and aware values."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class JobException(me.EmbeddedDocument):
    """The last exception a job (or slice) raised: class, message, backtrace, worker."""

    class_name = me.StringField(required=True)
    message = me.StringField(default="")
    backtrace = me.ListField(me.StringField())
    worker_name = me.StringField()
    record_number = me.IntField()

    @classmethod
    def from_exception(
        cls, exc: BaseException, worker_name: str | None = None, record_number: int | None = None
    ) -> JobException:
        """Capture ``exc``; long messages and backtraces are truncated to fit a document."""
        lines = traceback.format_exception(exc)
        backtrace = [line.rstrip("\n") for chunk in lines for line in chunk.splitlines()]
        klass = type(exc)
        return cls(
            class_name=f"{klass.__module__}.{klass.__qualname__}".removeprefix("builtins."),
            message=str(exc)[:MAX_MESSAGE_CHARS],
            backtrace=backtrace[-MAX_BACKTRACE_LINES:],
            worker_name=worker_name,
            record_number=record_number,
        )


_path_fields: dict[type, tuple[str, ...]] = {}


def _path_field_names(klass: type) -> tuple[str, ...]:
    """The path fields of ``klass``, found once per class: they are read twice per performed
    job (before perform, and in ``clean`` at completion)."""
    found = _path_fields.get(klass)
    if found is None:
        fields: dict[str, Any] = getattr(klass, "_fields", {})
        found = _path_fields[klass] = tuple(
            name for name, f in fields.items() if getattr(f, "allowed_path", False)
        )
    return found


class JobModel:
    """Fields of the inventory's job table; validated by mongoengine on every save."""

    description = me.StringField(max_length=1000, user_editable=True, copy_on_restart=True)
    priority = me.IntField(
        default=50, min_value=1, max_value=100, user_editable=True, copy_on_restart=True
    )
    run_at = UTCDateTimeField(user_editable=True)
    expires_at = UTCDateTimeField(copy_on_restart=True)
    destroy_on_complete = me.BooleanField(default=True, copy_on_restart=True)
    log_level = me.StringField(choices=LOG_LEVELS, user_editable=True, copy_on_restart=True)
    state = me.StringField(default="queued", choices=STATES, required=True)
    created_at = UTCDateTimeField(default=utc_now, required=True)
    started_at = UTCDateTimeField()
    completed_at = UTCDateTimeField()
    failure_count = me.IntField(default=0, min_value=0)
    worker_name = me.StringField()
    percent_complete = me.IntField(default=0, min_value=0, max_value=100)
    exception = me.EmbeddedDocumentField(JobException)
    throttle_group = me.StringField(user_editable=True, copy_on_restart=True)
    throttled_by = me.StringField()
    throttled_at = UTCDateTimeField()
    #: Username of whoever created the job (``Job.create(..., created_by=user.get_username())``);
    #: Mission Control's "user" role may act only on jobs whose creator is the signed-in user.
    created_by = me.StringField(max_length=150, copy_on_restart=True)
    #: Seconds a worker lets ``perform`` run before failing it with TimeLimitExceeded
    #: (empty: no limit). Set a class default with ``time_limit = 300``.
    time_limit = me.FloatField(min_value=0.001, user_editable=True, copy_on_restart=True)

    #: Whether a running job may be paused (batch jobs are; plain jobs are not).
    pausable: bool = False

    # Provided by mongoengine's Document; declared for type checkers.
    _fields: dict[str, Any]
    pk: Any
    id: Any
    _get_changed_fields: Any

    @classmethod
    def user_editable_fields(cls) -> list[str]:
        """Names of the fields Mission Control may edit."""
        return [name for name, f in cls._fields.items() if getattr(f, "user_editable", False)]

    @classmethod
    def allowed_path_fields(cls) -> list[str]:
        """Names of the fields holding a path that must lie inside the allow-list."""
        return list(_path_field_names(cls))

    def rocketjob_check_paths(self, changed_only: bool = False) -> None:
        """Raise PathNotAllowedError for a path field outside the allow-list.

        ``changed_only``: check only fields set since loading (all of them on a new job), so a
        stored job whose path is no longer allowed can still be failed or aborted.
        """
        names = _path_field_names(type(self))
        if not names:  # most classes: no walk over the changed fields
            return
        from rocketjob.allowed_paths import check_allowed

        changed = set(self._get_changed_fields()) if changed_only and self.pk else None
        for name in names:
            value = getattr(self, name, None)
            if value and (changed is None or name in changed):
                check_allowed(value, name)

    def clean(self) -> None:
        from rocketjob.allowed_paths import PathNotAllowedError

        super().clean()  # type: ignore[misc]
        try:
            self.rocketjob_check_paths(changed_only=True)
        except PathNotAllowedError as exc:
            raise me.ValidationError(str(exc), field_name=exc.what) from exc

    @classmethod
    def copy_on_restart_fields(cls) -> list[str]:
        """Names of the fields copied into the next instance of a restarting job."""
        return [name for name, f in cls._fields.items() if getattr(f, "copy_on_restart", False)]

    @property
    def class_name(self) -> str:
        return type(self).__name__

    def is_expired(self) -> bool:
        expires_at = as_utc(self.expires_at)
        return expires_at is not None and expires_at <= utc_now()

    def is_scheduled(self) -> bool:
        run_at = as_utc(self.run_at)
        return self.state == "queued" and run_at is not None and run_at > utc_now()

    def duration_seconds(self) -> float | None:
        """Seconds from start to completion (or to now while running)."""
        started = as_utc(self.started_at)
        if started is None:
            return None
        finished = as_utc(self.completed_at) or utc_now()
        return max(0.0, (finished - started).total_seconds())

    def status(self) -> dict[str, Any]:
        """A plain dict describing the job, suitable for JSON, logs and dashboards."""
        data: dict[str, Any] = {
            "id": str(self.pk) if self.pk else None,
            "class_name": self.class_name,
            "description": self.description,
            "state": self.state,
            "priority": self.priority,
            "percent_complete": self.percent_complete,
            "failure_count": self.failure_count,
            "created_at": self.created_at,
            "run_at": self.run_at,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "worker_name": self.worker_name,
            "created_by": self.created_by,
            "duration_seconds": self.duration_seconds(),
            "scheduled": self.is_scheduled(),
            "expired": self.is_expired(),
        }
        if self.exception is not None:
            data["exception"] = {
                "class_name": self.exception.class_name,
                "message": self.exception.message,
                "worker_name": self.exception.worker_name,
            }
        return data

    def __str__(self) -> str:
        return f"{self.class_name}({self.pk or 'unsaved'})"
