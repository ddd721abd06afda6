"""Batch throttles: reasons a worker should not process a running batch job's slices now.

Job throttles (``@throttle``) decide whether a queued job may *start*. A batch job, once
started, is worked by every worker that joins it; Ruby Rocket Job's ``define_batch_throttle``
decides whether a worker may *take slices* of it now::

    class NightlyImportJob(Batch, Job):
        @batch_throttle
        def warehouse_busy(self) -> bool:
            return Warehouse.load() > 0.9

    # or, Ruby style, for a method defined elsewhere (a plugin, a base class):
    NightlyImportJob.define_batch_throttle("warehouse_busy")

They are checked, together with the job's own ``@throttle`` methods (except the built-in ones
about starting: the running-jobs cap and the processing window), when a worker is about to
join the running job, when it starts on its slices and about once a second between slices.
While one holds, the worker takes no slice (a slice already claimed is finished first), the
job records ``throttled_by``/``throttled_at`` (shown in Mission Control; cleared when workers
take slices again), and the worker skips the job until its next re-check. A throttle that
raises is logged and counts as holding. ThrottleWindows and ``throttle_running_workers`` are
built on the same idea.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pymongo.errors import PyMongoError

from rocketjob import queries
from rocketjob.plugins.job.model import utc_now

F = TypeVar("F", bound=Callable[..., bool])
_MARK = "_rocketjob_batch_throttle"


def batch_throttle(function: F) -> F:
    """Declare a batch throttle: a method returning True while no slice should be taken."""
    setattr(function, _MARK, True)
    return function


class BatchThrottles:
    """Evaluates batch throttles (and join-time job throttles) for a running batch job."""

    #: Names added with :meth:`define_batch_throttle` (per class).
    rocketjob_defined_batch_throttles: ClassVar[tuple[str, ...]] = ()

    pk: Any
    throttled_by: Any

    @classmethod
    def define_batch_throttle(cls, method_name: str) -> None:
        """Ruby's ``define_batch_throttle``: make ``method_name`` a batch throttle."""
        if not callable(getattr(cls, method_name, None)):
            raise ValueError(f"{cls.__name__} has no method {method_name!r} to throttle on")
        if method_name not in cls.rocketjob_defined_batch_throttles:
            cls.rocketjob_defined_batch_throttles = (
                *cls.rocketjob_defined_batch_throttles,
                method_name,
            )

    @classmethod
    def rocketjob_batch_throttle_names(cls) -> list[str]:
        """Batch throttles first (base classes first), then the job's join-time throttles."""
        found: dict[str, None] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if getattr(value, _MARK, False):
                    found[name] = None
        found.update(dict.fromkeys(cls.rocketjob_defined_batch_throttles))
        found.update(dict.fromkeys(cls.rocketjob_join_throttle_names()))  # type: ignore[attr-defined]
        return list(found)

    def _holds(self, name: str) -> bool:
        """A throttle that raises holds (and is logged): the job's workers go on with other
        work instead of crashing on it; the database's own errors propagate as usual."""
        try:
            return bool(getattr(self, name)())
        except PyMongoError:
            raise
        except Exception:
            self.logger.exception("batch throttle %s raised; treated as holding", name)  # type: ignore[attr-defined]
            return True

    def rocketjob_batch_throttled(self) -> str | None:
        """The first throttle that holds now (recorded on the job), or None (cleared)."""
        holding = next((n for n in self.rocketjob_batch_throttle_names() if self._holds(n)), None)
        # What the stored job says now (tracked here, not in the document's fields, so that
        # recording it never mixes with changes the job has yet to write).
        recorded = self.__dict__.get("_rocketjob_recorded_throttle", self.throttled_by)
        if holding != recorded:
            update: dict[str, Any] = (
                {"$set": {"throttled_by": holding, "throttled_at": utc_now()}}
                if holding
                else {"$unset": {"throttled_by": "", "throttled_at": ""}}
            )
            self._get_collection().update_one(queries.by_id(self.pk), update)  # type: ignore[attr-defined]
            self.__dict__["_rocketjob_recorded_throttle"] = holding
        if holding:
            self.logger.info("batch throttled by %s", holding)  # type: ignore[attr-defined]
        return holding
