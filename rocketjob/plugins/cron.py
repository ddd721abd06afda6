"""Cron: a job that schedules its next run when it starts (or when it finishes).

::

    from rocketjob import Cron, Job

    class NightlyReportJob(Cron, Job):
        cron_schedule = "0 2 * * * Europe/London"   # 02:00 London time, DST aware

        def perform(self): ...

    NightlyReportJob.create()   # run_at = the next 02:00 London time

* ``cron_schedule``: croniter syntax, optionally followed by an IANA time zone (default UTC);
  validated on save with an error naming the bad schedule. Creating a job, or changing its
  schedule without also setting ``run_at``, sets ``run_at`` to the next scheduled time.
* When the job starts, its schedule moves to a new instance (``copy_on_restart`` fields are
  copied) that waits for the next time. With ``cron_after_start = False`` the next instance
  is created when the job completes, fails or is aborted instead, so runs never overlap.
* Cron singleton (``cron_singleton = True``): at most one queued, running, failed or paused job
  per class and schedule, enforced by a unique partial index so that many workers racing
  cannot create two (see :mod:`rocketjob.plugins.exclusive`).
* With Singleton: the next instance is created while this one still holds the singleton key,
  so it is created *deferred* (``rocketjob_successor_fields``) and takes that key when a
  worker starts it (see :mod:`rocketjob.plugins.singleton`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import mongoengine as me

from rocketjob.connection import register_index_hook
from rocketjob.plugins.exclusive import DuplicateJobError, ExclusiveKey, ExclusiveMixin
from rocketjob.plugins.job.callbacks import after, before
from rocketjob.plugins.schedule import CronSchedule, InvalidScheduleError

__all__ = ["Cron", "CronSchedule", "InvalidScheduleError"]

CRON_KEY = ExclusiveKey(
    field_name="rocketjob_cron_key",
    index_name="rocketjob_cron",
    describe=(
        "{job.class_name} with cron schedule {job.cron_schedule!r} already exists as "
        "{existing}; only one queued, running, failed or paused instance per schedule is allowed"
    ),
)


class Cron(ExclusiveMixin):
    """Re-schedules itself from ``cron_schedule``; one live instance per class and schedule."""

    # A cleared schedule is stored as "" (not None: mongoengine turns None back into the class
    # default, e.g. ``cron_schedule = "0 2 * * *"`` on a subclass, when a job is loaded).
    cron_schedule = me.StringField(user_editable=True, copy_on_restart=True)
    rocketjob_cron_key = me.StringField()

    #: Create the next instance when this one starts (True) or when it ends (False).
    cron_after_start: ClassVar[bool] = True
    #: Refuse a second live instance with the same class and schedule.
    cron_singleton: ClassVar[bool] = True
    #: States in which an instance blocks another with the same schedule.
    cron_singleton_states: ClassVar[tuple[str, ...]] = ("queued", "running", "failed", "paused")

    state: Any
    run_at: Any
    pk: Any
    _class_name: str

    def clean(self) -> None:
        super().clean()  # type: ignore[misc]
        schedule = self.rocketjob_cron_parse()
        if schedule is not None and self.rocketjob_cron_schedule_changed():
            self.run_at = schedule.next_time()
        live = self.state in self.cron_singleton_states
        key = None
        if schedule is not None and live and self.cron_singleton:
            key = f"{self._class_name}|{' '.join(self.cron_schedule.split())}"
        self.rocketjob_cron_key = key

    def rocketjob_exclusive_rules(self) -> list[ExclusiveKey]:
        return [*super().rocketjob_exclusive_rules(), CRON_KEY]

    def rocketjob_cron_parse(self) -> CronSchedule | None:
        if not self.cron_schedule:
            return None
        try:
            return CronSchedule.parse(self.cron_schedule)
        except InvalidScheduleError as exc:
            raise me.ValidationError(str(exc), field_name="cron_schedule") from exc

    def rocketjob_cron_schedule_changed(self) -> bool:
        """New job without run_at, or a stored job whose schedule (but not run_at) changed."""
        if self.pk is None:
            return self.run_at is None
        changed = self._get_changed_fields()  # type: ignore[attr-defined]
        return "cron_schedule" in changed and "run_at" not in changed

    # -- scheduling the next instance ------------------------------------------------------
    @after("start")
    def rocketjob_cron_on_start(self) -> None:
        if not self.cron_after_start or not self.cron_schedule or not _persisted(self):
            return
        schedule = self.cron_schedule
        # Release this instance's key in the database first: the next one needs it.
        self._get_collection().update_one(  # type: ignore[attr-defined]
            {"_id": self.pk},
            {"$set": {"cron_schedule": ""}, "$unset": {"rocketjob_cron_key": ""}},
        )
        self.cron_schedule = ""
        self.rocketjob_cron_key = None
        self.rocketjob_cron_create_next(schedule)

    @before("complete")
    @before("fail")
    @before("abort")
    def rocketjob_cron_before_end(self) -> None:
        # Cleared in the same atomic update as the state change.
        self._rocketjob_cron_next = None
        if not self.cron_after_start and self.cron_schedule:
            self._rocketjob_cron_next = self.cron_schedule
            self.cron_schedule = ""

    @after("complete")
    @after("fail")
    @after("abort")
    def rocketjob_cron_after_end(self) -> None:
        schedule = getattr(self, "_rocketjob_cron_next", None)
        self._rocketjob_cron_next = None
        if schedule is None:
            return
        if _persisted(self):
            self.rocketjob_cron_create_next(schedule)
        else:
            self.cron_schedule = schedule

    def rocketjob_cron_create_next(self, schedule: str) -> Any:
        """Create the next instance with this one's ``copy_on_restart`` fields."""
        fields = self.rocketjob_restart_fields()  # type: ignore[attr-defined]
        fields["cron_schedule"] = schedule
        fields.pop("run_at", None)
        fields.update(self.rocketjob_successor_fields())
        try:
            following = type(self).create(**fields)  # type: ignore[attr-defined]
        except DuplicateJobError as exc:
            self.logger.warning("next cron instance not created: %s", exc)  # type: ignore[attr-defined]
            return None
        self.logger.info(  # type: ignore[attr-defined]
            "scheduled next run",
            extra={"next_job_id": str(following.pk), "run_at": str(following.run_at)},
        )
        return following


def _persisted(job: Any) -> bool:
    """False while running inline (``perform_now``): its transitions are not saved."""
    return job.pk is not None and "state" not in job._get_changed_fields()


def _ensure_cron_index() -> None:
    from rocketjob.connection import jobs_db
    from rocketjob.job import JOBS_COLLECTION

    CRON_KEY.ensure_index(jobs_db()[JOBS_COLLECTION])


register_index_hook(_ensure_cron_index)
