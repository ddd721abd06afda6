"""Running jobs: inline (``perform_now``) and the job's side of the worker protocol.

A worker claims a job with ``rocketjob.runtime.claim`` (how a worker picks a job is described
there), which already moves it to ``running``; ``rocketjob_work`` then runs the
``before_start``/``after_start`` callbacks (writing only their changes), ``perform``, and the
completion or failure, and returns a :class:`~rocketjob.runtime.work_result.WorkResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, ClassVar

from pymongo.errors import ConnectionFailure

from rocketjob import queries
from rocketjob.exceptions import InvalidTransitionError, StateConflictError, TimeLimitExceeded
from rocketjob.plugins.job.callbacks import callback_names
from rocketjob.plugins.job.changes import changed_fields
from rocketjob.plugins.job.coroutines import call_perform
from rocketjob.plugins.job.interrupt import JobInterrupted
from rocketjob.plugins.job.model import utc_now
from rocketjob.runtime.work_result import WorkResult


class _ClassOrInstanceMethod:
    """``MyJob.perform_now(**fields)`` builds and runs a job; ``job.perform_now()`` runs it."""

    def __get__(self, job: Any, owner: type) -> Any:
        if job is not None:
            return job.rocketjob_perform_inline

        def build_and_perform(**fields: Any) -> Any:
            return owner.build(**fields).rocketjob_perform_inline()  # type: ignore[attr-defined]

        return build_and_perform


class WorkerMixin:
    """``perform_now`` and the worker-side claim/run protocol."""

    objects: Any
    pk: Any
    state: str
    worker_name: Any
    _class_name: str
    _subclasses: tuple[str, ...]
    _superclasses: tuple[str, ...]

    def perform(self, *args: Any, **kwargs: Any) -> Any:
        """The work of the job. Subclasses must implement it (batch jobs take a record)."""
        raise NotImplementedError(f"{type(self).__name__} must define perform()")

    # -- inline ---------------------------------------------------------------------------
    #: Run inline without saving; exceptions are re-raised.
    perform_now = _ClassOrInstanceMethod()

    def rocketjob_perform_inline(self) -> Any:
        """Run in this thread without saving: start, perform, complete (or fail and re-raise)."""
        if self.may("start"):  # type: ignore[attr-defined]
            self.fire("start", persist=False, worker_name="inline")  # type: ignore[attr-defined]
        try:
            result = self.rocketjob_run_perform()
        except Exception as exc:
            if self.may("fail"):  # type: ignore[attr-defined]
                self.fire("fail", persist=False, exception=exc, worker_name="inline")  # type: ignore[attr-defined]
            raise
        if self.may("complete"):  # type: ignore[attr-defined]
            self.fire("complete", persist=False)  # type: ignore[attr-defined]
        return result

    def rocketjob_run_perform(self) -> Any:
        """perform() inside the before/around/after perform callbacks.

        Path fields are checked first: the stored document may have been changed behind the
        application's back since it was validated.
        """
        self.rocketjob_check_paths()  # type: ignore[attr-defined]
        self.rocketjob_run_callbacks("before", "perform")  # type: ignore[attr-defined]
        # An ``async def perform`` is awaited inside the around callbacks (e.g. Transaction).
        result = self.rocketjob_run_around("perform", lambda: call_perform(self.perform))  # type: ignore[attr-defined]
        self.rocketjob_run_callbacks("after", "perform")  # type: ignore[attr-defined]
        return result

    # -- the job side of the worker protocol (the claim: rocketjob.runtime.claim) ------------
    #: Whether running jobs of this class can be joined by more workers (batch jobs).
    rocketjob_joinable: ClassVar[bool] = False

    def rocketjob_can_join(self, worker_name: str) -> bool:
        """Whether a worker should join this running job now (joinable classes only)."""
        return False

    def rocketjob_join(
        self, worker_name: str, should_stop: Callable[[], bool] | None = None
    ) -> WorkResult:
        """Work on a running job another worker started (joinable classes only)."""
        raise TypeError(f"{type(self).__name__} jobs cannot be joined")

    def rocketjob_requeue_lost(self, server_name: str) -> bool:
        """Re-queue this job, found running under a worker thread that no longer holds it.

        Returns whether it was re-queued; jobs shared by many workers (batch) recover their
        own work instead (their slices), and return False.
        """
        self.requeue(server_name)  # type: ignore[attr-defined]
        return True

    def rocketjob_requeue_unheld(self, server_name: str) -> bool:
        """Re-queue this job, running under a worker of ``server_name`` of which none works
        on it (``rocketjob.runtime.lost_claims``); batch jobs refine which are shared."""
        return self.rocketjob_requeue_lost(server_name)

    def rocketjob_finish_after_outage(
        self, worker_name: str, server_name: str, outcome: Any
    ) -> str:
        """Finish a job whose end could not be written: ``outcome`` says what perform did.

        Called by ``rocketjob.runtime.completion.finish`` once the database answers again,
        when no transition was applied in memory. Returns what was done.
        """
        precondition = {"worker_name": worker_name}
        try:
            if outcome.finished:
                self.fire("complete", precondition=precondition)  # type: ignore[attr-defined]
                return "completed"
            if outcome.error is not None and isinstance(outcome.error, Exception):
                self.fire("fail", exception=outcome.error, worker_name=worker_name)  # type: ignore[attr-defined]
                return "failed"
            try:
                self.reload()  # type: ignore[attr-defined]
            except self.DoesNotExist:  # type: ignore[attr-defined]
                return "gone"
            if self.state == "running" and self.worker_name == worker_name:
                self.requeue(server_name)  # type: ignore[attr-defined]
                return "requeued"
        except StateConflictError as conflict:
            self.logger.warning("not finished after outage: %s", conflict)  # type: ignore[attr-defined]
            return "conflict"
        return "left"

    def rocketjob_release(self, throttled_by: str) -> None:
        """Put a claimed job back in the queue because ``throttled_by`` holds."""
        self._get_collection().update_one(  # type: ignore[attr-defined]
            queries.owned_by(self.pk, self.worker_name),
            {
                "$set": {
                    "state": "queued",
                    "throttled_by": throttled_by,
                    "throttled_at": utc_now(),
                },
                "$unset": {"worker_name": "", "started_at": ""},
            },
        )

    def rocketjob_start_claimed(self) -> None:
        """Run start callbacks for a job the claim already moved to running.

        Without start callbacks nothing can have changed: the check for changes (a walk over
        every field) is skipped.
        """
        klass = type(self)
        if not (
            callback_names(klass, "before", "start") or callback_names(klass, "after", "start")
        ):
            return
        self.rocketjob_run_callbacks("before", "start")  # type: ignore[attr-defined]
        self.rocketjob_run_callbacks("after", "start")  # type: ignore[attr-defined]
        if changed_fields(self):
            self.rocketjob_persist_transition(  # type: ignore[attr-defined]
                "start", {"state": "running", "worker_name": self.worker_name}
            )

    def rocketjob_work(
        self,
        worker_name: str,
        should_stop: Callable[[], bool] | None = None,
        perform_window: Callable[[], AbstractContextManager[None]] | None = None,
    ) -> WorkResult:
        """Process a claimed job: perform it, then complete or fail it.

        ``should_stop`` tells long-running work (batch slices) when to return early: the
        worker is shutting down or should look for higher-priority work. A plain job's
        perform runs to its end, or to a checkpoint that finds the job stopped.
        ``perform_window`` (from the runtime's time limit) is entered around perform only,
        so a TimeLimitExceeded raised into this thread lands in perform and fails the job.

        A state change made meanwhile by someone else (abort, pause, fail from Mission
        Control) wins: the conflict is logged and the job is left as they set it.
        """
        logger = self.logger  # type: ignore[attr-defined]
        self.rocketjob_checkpoint_start(worker_name)  # type: ignore[attr-defined]
        try:
            with logger.measure("perform"):
                self.rocketjob_start_claimed()
                with (perform_window or nullcontext)():
                    self.rocketjob_run_perform()
        except JobInterrupted as stopped:
            self.rocketjob_stopped_at_checkpoint(stopped, worker_name)
            return WorkResult.CONFLICT
        except Exception as exc:
            if isinstance(exc, TimeLimitExceeded):
                exc.args = (f"{self} ran past its time limit of {self.time_limit} s",)  # type: ignore[attr-defined]
            logger.exception("perform raised %s", type(exc).__name__)
            if self.rocketjob_left_behind():
                return WorkResult.CONFLICT
            self.rocketjob_fail_safely(exc, worker_name)
            return WorkResult.FAILED
        finally:
            self.rocketjob_checkpoint_start(None)  # type: ignore[attr-defined]
        if self.rocketjob_left_behind():
            return WorkResult.CONFLICT
        return self.rocketjob_complete_claimed(worker_name)

    def rocketjob_left_behind(self) -> bool:
        """True when the runtime gave up on this thread (time limit): it must not write.

        The job was failed for it, and may already run again under the same worker name.
        """
        if getattr(self, "rocketjob_abandoned", False):
            self.logger.warning("perform returned after its thread was abandoned: not recorded")  # type: ignore[attr-defined]
            return True
        return False

    def rocketjob_complete_claimed(self, worker_name: str) -> WorkResult:
        """Complete after perform returned; a job paused meanwhile completes too.

        A pause that came after perform's last checkpoint found the work done: the job is
        completed from ``paused`` (still held by this worker), not left paused with its
        completion dropped. Any other change made meanwhile (abort, fail) wins.
        """
        logger = self.logger  # type: ignore[attr-defined]
        try:
            self.fire("complete", precondition={"worker_name": worker_name})  # type: ignore[attr-defined]
        except StateConflictError as conflict:
            if conflict.actual != "paused" or self.worker_name != worker_name:
                logger.warning("not completed: %s", conflict)
                return WorkResult.CONFLICT
            logger.info("paused after its last checkpoint: completing it")
            try:
                self.fire("complete", precondition={"worker_name": worker_name})  # type: ignore[attr-defined]
            except (StateConflictError, InvalidTransitionError) as again:
                logger.warning("not completed: %s", again)
                return WorkResult.CONFLICT
        except ConnectionFailure:
            raise  # an outage: the runtime writes the end once the database is back
        except Exception as exc:
            logger.exception("the completion cannot be stored: %s", type(exc).__name__)
            return self.rocketjob_fail_unstorable(exc, worker_name)
        return WorkResult.PERFORMED

    def rocketjob_fail_unstorable(self, exc: Exception, worker_name: str) -> WorkResult:
        """Fail a job whose completion the database refused (a field set to an integer
        beyond int64, a document over 16 MB): what perform set is dropped (the job is
        reloaded) and the job fails with the error. Raised on, it crashed the worker thread
        and the job was re-queued and performed again, forever."""
        try:
            self.reload()  # type: ignore[attr-defined]
        except self.DoesNotExist:  # type: ignore[attr-defined]
            return WorkResult.CONFLICT
        self.rocketjob_fail_safely(exc, worker_name)
        return WorkResult.FAILED

    def rocketjob_stopped_at_checkpoint(self, stopped: JobInterrupted, worker_name: str) -> None:
        """perform stopped at a checkpoint: leave the job as the operator set it."""
        logger = self.logger  # type: ignore[attr-defined]
        if stopped.state == "paused" and self.rocketjob_release_paused(worker_name):  # type: ignore[attr-defined]
            logger.info("paused at a checkpoint; resume re-queues it")
            return
        logger.info("left as the operator set it: %s", stopped)

    def rocketjob_fail_safely(self, exc: BaseException, worker_name: str) -> None:
        try:
            self.fire("fail", exception=exc, worker_name=worker_name)  # type: ignore[attr-defined]
        except StateConflictError as conflict:
            self.logger.warning("not failed: %s", conflict)  # type: ignore[attr-defined]
