"""Singleton: at most one queued, running or paused job of a class at any time.

::

    from rocketjob import Job, Singleton

    class NightlyExportJob(Singleton, Job):
        def perform(self): ...

    NightlyExportJob.create()
    NightlyExportJob.create()   # raises DuplicateJobError naming the existing job

The rule is enforced by a unique partial index (see :mod:`rocketjob.plugins.exclusive`), so it
holds when many processes create jobs at the same moment. A failed, completed or aborted job
does not count: a new instance may be created next to it, and retrying the failed one is then
refused with the same error (its key would collide).

**With Cron.** A cron job schedules its next run while the current one runs (or as it ends),
so the next instance cannot take the key then. It is created *deferred*: it holds only its
Cron key (one per class and schedule) and takes the singleton key when a worker starts it.
The taking is one atomic update against the unique index, done as a throttle right after the
claim: while another instance holds the key (the previous run is still running, or was
re-queued), the deferred one goes back to the queue with ``throttled_by =
"singleton_running"`` and waits; two instances never run at once.
"""

from __future__ import annotations

from typing import Any, ClassVar

import mongoengine as me

from rocketjob.connection import register_index_hook
from rocketjob.plugins.exclusive import DuplicateJobError, ExclusiveKey, ExclusiveMixin
from rocketjob.plugins.job.throttle import throttle

__all__ = ["DuplicateJobError", "Singleton"]

SINGLETON_KEY = ExclusiveKey(
    field_name="rocketjob_singleton_key",
    index_name="rocketjob_singleton",
    describe=(
        "{job.class_name} is a singleton and {existing} is already queued, running or paused; "
        "wait for it to finish (or abort it) before creating another"
    ),
)


class Singleton(ExclusiveMixin):
    """Refuses a second queued/running/paused instance of the class (race-safe)."""

    #: States in which the job blocks another instance of its class.
    singleton_states: ClassVar[tuple[str, ...]] = ("queued", "running", "paused")

    rocketjob_singleton_key = me.StringField()
    #: Set on a scheduled successor (see the module docs): it takes the key when it starts.
    rocketjob_singleton_deferred = me.BooleanField()

    state: Any
    pk: Any
    _class_name: str

    def clean(self) -> None:
        super().clean()  # type: ignore[misc]
        active = self.state in self.singleton_states and not self.rocketjob_singleton_deferred
        self.rocketjob_singleton_key = self._class_name if active else None

    def rocketjob_exclusive_rules(self) -> list[ExclusiveKey]:
        return [*super().rocketjob_exclusive_rules(), SINGLETON_KEY]

    def rocketjob_successor_fields(self) -> dict[str, Any]:
        return {**super().rocketjob_successor_fields(), "rocketjob_singleton_deferred": True}

    @throttle(exclude="id")
    def singleton_running(self) -> bool:
        """A deferred instance just claimed: take the key, or wait while another holds it.

        Free for an instance that already holds the key (every one but a cron successor).
        """
        if not self.rocketjob_singleton_deferred:
            return False
        return not SINGLETON_KEY.take_deferred(
            self, self._class_name, "rocketjob_singleton_deferred"
        )


def _ensure_singleton_index() -> None:
    from rocketjob.connection import jobs_db
    from rocketjob.job import JOBS_COLLECTION

    SINGLETON_KEY.ensure_index(jobs_db()[JOBS_COLLECTION])


register_index_hook(_ensure_singleton_index)
