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
"""

from __future__ import annotations

from typing import Any, ClassVar

import mongoengine as me

from rocketjob.connection import register_index_hook
from rocketjob.plugins.exclusive import DuplicateJobError, ExclusiveKey, ExclusiveMixin

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

    state: Any
    _class_name: str

    def clean(self) -> None:
        super().clean()  # type: ignore[misc]
        active = self.state in self.singleton_states
        self.rocketjob_singleton_key = self._class_name if active else None

    def rocketjob_exclusive_rules(self) -> list[ExclusiveKey]:
        return [*super().rocketjob_exclusive_rules(), SINGLETON_KEY]


def _ensure_singleton_index() -> None:
    from rocketjob.connection import jobs_db
    from rocketjob.job import JOBS_COLLECTION

    SINGLETON_KEY.ensure_index(jobs_db()[JOBS_COLLECTION])


register_index_hook(_ensure_singleton_index)
