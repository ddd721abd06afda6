"""Job-level helpers from Ruby Rocket Job: ``pause_all``, ``resume_all``, ``worker_count``,
``fail_on_exception`` and ``create_restart``.

::

    ReportJob.pause_all()          # every queued (and pausable running) ReportJob -> paused
    ReportJob.resume_all()         # every paused one back

    job.worker_count()             # workers on it now: 0/1, a batch job's running slices

    with job.fail_on_exception():  # an exception in the block fails the job (saved), and
        prepare(job)               # is swallowed; reraise=True lets it propagate too

    job.create_restart()           # a new queued copy of the job's copy_on_restart fields
"""

from __future__ import annotations

import logging
from contextlib import ContextDecorator
from types import TracebackType
from typing import Any

from rocketjob.exceptions import InvalidTransitionError, StateConflictError

logger = logging.getLogger(__name__)


class FailOnException(ContextDecorator):
    """Fails ``job`` with the exception raised in the block (or decorated function)."""

    def __init__(self, job: Any, reraise: bool = False) -> None:
        self.job = job
        self.reraise = reraise

    def __enter__(self) -> FailOnException:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exception is None or not isinstance(exception, Exception):
            return False  # no exception, or KeyboardInterrupt/SystemExit: not ours to record
        if self.job.may("fail"):
            try:
                self.job.fail(exception)
            except StateConflictError as conflict:
                logger.warning("not failed: %s", conflict)
        else:
            logger.warning(
                "exception not recorded: %s cannot fail while %s", self.job, self.job.state
            )
        return not self.reraise


class HelpersMixin:
    """Class-level bulk pause/resume and per-job helpers."""

    objects: Any
    state: str

    @classmethod
    def pause_all(cls) -> int:
        """Pause every queued job of this class (and subclasses), and every running one that
        can pause (batch jobs, ``checkpoints = True``); returns how many were paused.

        Jobs that cannot pause, or that changed meanwhile, are left as they are.
        """
        return cls._apply_to_each("pause", ("queued", "running"))

    @classmethod
    def resume_all(cls) -> int:
        """Resume every paused job of this class (and subclasses); returns how many."""
        return cls._apply_to_each("resume", ("paused",))

    @classmethod
    def _apply_to_each(cls, event: str, states: tuple[str, ...]) -> int:
        done = 0
        for state in states:
            for job in cls.objects(state=state):
                if not job.may(event):
                    continue
                try:
                    getattr(job, event)()
                except (StateConflictError, InvalidTransitionError) as exc:
                    logger.info("%s skipped: %s", event, exc)
                    continue
                done += 1
        return done

    def worker_count(self) -> int:
        """How many workers work on this job now: 1 while a plain job runs, else 0."""
        return 1 if self.state == "running" and getattr(self, "worker_name", None) else 0

    def fail_on_exception(self, reraise: bool = False) -> FailOnException:
        """A context manager (or decorator) that fails this job with an exception raised in
        it. The exception is swallowed unless ``reraise``; a job that cannot fail now (already
        completed, aborted) is logged and left alone."""
        return FailOnException(self, reraise)

    def rocketjob_restart_fields(self) -> dict[str, Any]:
        """This job's ``copy_on_restart`` fields, for the next instance."""
        names = self.copy_on_restart_fields()  # type: ignore[attr-defined]
        return {name: getattr(self, name) for name in names}

    def create_restart(self, **overrides: Any) -> Any:
        """Create (enqueue) a new job of this class from this job's ``copy_on_restart`` fields
        and ``overrides``; returns it. Exclusive rules apply (a Singleton raises
        DuplicateJobError while this one is live)."""
        return type(self).create(**{**self.rocketjob_restart_fields(), **overrides})  # type: ignore[attr-defined]
