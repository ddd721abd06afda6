"""Running jobs: inline (``perform_now``) and by a worker that claims them from the queue.

The claim is one atomic ``find_one_and_update`` over ``state=queued, run_at<=now`` plus the
worker's filters, sorted by ``(priority, _id)``, that sets ``state=running``, ``worker_name``
and ``started_at``. It returns the claimed document, so starting a job costs one round trip;
``before_start``/``after_start`` callbacks run afterwards and only their changes are written.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from pymongo import ReturnDocument

from rocketjob.exceptions import (
    InvalidTransitionError,
    StateConflictError,
    TimeLimitExceeded,
    UnknownJobClassError,
)
from rocketjob.plugins.job.claim_filter import ClaimFilter
from rocketjob.plugins.job.interrupt import JobInterrupted, release_paused
from rocketjob.plugins.job.model import utc_now


def batch_class_names(candidates: Iterable[tuple[str, type]]) -> list[str]:
    """Stored names of the batch job classes among ``candidates`` (see rocketjob.batch)."""
    return [name for name, klass in candidates if getattr(klass, "rocketjob_is_batch", False)]


#: How long a worker that found no running batch job to join skips looking again (seconds).
JOIN_RECHECK_SECONDS = 1.0
_no_joinable_until: dict[tuple[str, int], float] = {}


def _join_skip_key(worker_name: str, claim_filter: ClaimFilter) -> tuple[str, int]:
    return (worker_name, len(claim_filter.excluded.get("_id", ())))


#: Called by ``requeue_dead_server`` with (job class, server name); each returns how many
#: more jobs it touched. Batch registers one that re-queues the dead server's slices.
_dead_server_hooks: list[Callable[[Any, str], int]] = []


def register_dead_server_hook(hook: Callable[[Any, str], int]) -> None:
    if hook not in _dead_server_hooks:
        _dead_server_hooks.append(hook)


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
        """perform() inside the before/around/after perform callbacks."""
        self.rocketjob_run_callbacks("before", "perform")  # type: ignore[attr-defined]
        result = self.rocketjob_run_around("perform", self.perform)  # type: ignore[attr-defined]
        self.rocketjob_run_callbacks("after", "perform")  # type: ignore[attr-defined]
        return result

    # -- worker protocol ------------------------------------------------------------------
    @classmethod
    def rocketjob_claimable_classes(cls) -> list[tuple[str, type]]:
        from rocketjob.document import registered_job_classes

        known = registered_job_classes()
        return [(name, known[name]) for name in cls._subclasses if name in known]

    @classmethod
    def rocketjob_claim(cls, worker_name: str, claim_filter: ClaimFilter | None = None) -> Any:
        """Claim the next job to work on (highest priority, oldest first), or None.

        Two kinds of work compete: queued jobs, claimed atomically (state=running,
        worker_name, started_at), and running batch jobs whose slices are being processed,
        which any number of workers *join* without writing to the job (its started_at and
        worker_name stay those of the worker that started it). The best joinable batch job
        is looked up first (a read); the queued claim then only takes a job of strictly
        higher priority, so among equals work already started is finished first. When no
        batch job classes are claimable, this is the single queued claim.
        """
        claim_filter = claim_filter or ClaimFilter()
        now = utc_now()
        candidates = cls.rocketjob_claimable_classes()
        joinable = cls.rocketjob_find_joinable(candidates, claim_filter, worker_name)
        conditions: list[dict[str, Any]] = [
            {"state": "queued"},
            {"$or": [{"run_at": None}, {"run_at": {"$lte": now}}]},
            *claim_filter.conditions(candidates, all_classes=not cls._superclasses),
        ]
        if joinable is not None:
            conditions.append({"priority": {"$lt": joinable.get("priority", 50)}})
        query = {"$and": conditions}
        raw = cls._get_collection().find_one_and_update(  # type: ignore[attr-defined]
            query,
            {
                "$set": {"state": "running", "worker_name": worker_name, "started_at": now},
                "$unset": {"throttled_by": "", "throttled_at": ""},
            },
            sort=[("priority", 1), ("_id", 1)],
            return_document=ReturnDocument.AFTER,
        )
        if raw is not None:
            try:
                return cls._from_son(raw)  # type: ignore[attr-defined]
            except UnknownJobClassError:
                cls.rocketjob_release_unknown(raw, worker_name, claim_filter)
                return cls.rocketjob_claim(worker_name, claim_filter)
        if joinable is None:
            # Idle: the next poll looks for a batch job to join again, so an idle worker
            # joins one within its poll interval (the skip is for workers busy claiming).
            _no_joinable_until.pop(_join_skip_key(worker_name, claim_filter), None)
            return None
        try:
            job = cls._from_son(joinable)  # type: ignore[attr-defined]
        except UnknownJobClassError:
            claim_filter.exclude_value("_cls", joinable.get("_cls"))
            return cls.rocketjob_claim(worker_name, claim_filter)
        job.rocketjob_joined = True
        return job

    @classmethod
    def rocketjob_release_unknown(
        cls, raw: dict[str, Any], worker_name: str, claim_filter: ClaimFilter
    ) -> None:
        """Put back a job whose class this process cannot load, and stop claiming that class.

        Claiming without a class list keeps the hot query small; the price is that a job of a
        class defined only in another deployment can be claimed here. It is returned to the
        queue untouched (another process that has the class will run it) and the class is
        excluded from this worker's claims until the exclusions are next reset.
        """
        cls._get_collection().update_one(  # type: ignore[attr-defined]
            {"_id": raw["_id"], "state": "running", "worker_name": worker_name},
            {"$set": {"state": "queued"}, "$unset": {"worker_name": "", "started_at": ""}},
        )
        claim_filter.exclude_value("_cls", raw.get("_cls"))

    @classmethod
    def rocketjob_find_joinable(
        cls, candidates: list[tuple[str, type]], claim_filter: ClaimFilter, worker_name: str = ""
    ) -> dict[str, Any] | None:
        """The highest-priority running batch job whose slices are processing (read only)."""
        batch = [(n, k) for n, k in candidates if getattr(k, "rocketjob_is_batch", False)]
        if not batch:
            return None
        key = _join_skip_key(worker_name, claim_filter)
        now = time.monotonic()
        if _no_joinable_until.get(key, 0.0) > now:
            return None
        query = {
            "$and": [
                {"state": "running"},
                {"sub_state": "processing"},
                *claim_filter.conditions(batch),
            ]
        }
        collection = cls._get_collection()  # type: ignore[attr-defined]
        # Two equalities without sort answer the common "no batch job is processing" at a
        # fraction of the cost of the full query (the embedded server scans and sorts for it:
        # see docs/performance.md), which then runs only when there is something to find.
        # Jobs this worker skips for now (drained ones) are left out here too, or a worker
        # that drained the only batch job would pay for the full query at every poll.
        processing: dict[str, Any] = {"state": "running", "sub_state": "processing"}
        if skipped := claim_filter.id_conditions():
            processing = {"$and": [processing, *skipped]}
        raw: dict[str, Any] | None = None
        if collection.find_one(processing, projection={"_id": 1}) is not None:
            raw = collection.find_one(query, sort=[("priority", 1), ("_id", 1)])
        if raw is None:
            # Nothing to join: skip this read for a moment, so that a worker busy with plain
            # jobs pays one round trip per claim, not two. A batch job that starts processing
            # meanwhile is joined at most JOIN_RECHECK_SECONDS later.
            if len(_no_joinable_until) > 10_000:
                _no_joinable_until.clear()
            _no_joinable_until[key] = now + JOIN_RECHECK_SECONDS
        return raw

    @classmethod
    def rocketjob_next_job(cls, worker_name: str, claim_filter: ClaimFilter) -> Any:
        """Claim the next job this worker should run, or None when there is nothing to do.

        Expired jobs are destroyed instead of run. A job whose throttle holds is released back
        to the queue and jobs like it are excluded from ``claim_filter`` (the caller clears the
        exclusions every ``re_check_seconds``). A job whose start callbacks raise is failed.
        """
        from rocketjob.sliced.slices import release_lost_slices

        release_lost_slices(worker_name)
        while True:
            job = cls.rocketjob_claim(worker_name, claim_filter)
            if job is None:
                return None
            if getattr(job, "rocketjob_joined", False):
                if job.rocketjob_can_join(worker_name):
                    return job
                # Nothing to take from it now (no queued slices, or its worker cap is
                # reached): skip it until the runtime resets the exclusions.
                claim_filter.exclude_value("_id", job.pk)
                continue
            if job.is_expired():
                job.logger.info("destroyed: expired at %s", job.expires_at)
                job.delete()
                continue
            throttled = job.rocketjob_evaluate_throttles()
            if throttled is not None:
                name, excluded = throttled
                job.rocketjob_release(name)
                for field_name, value in excluded.items():
                    claim_filter.exclude_value(field_name, value)
                continue
            return job

    @classmethod
    def requeue_dead_server(cls, server_name: str) -> int:
        """Re-queue every running job that a worker of ``server_name`` had claimed.

        Called when a server is found to be a zombie, or shuts down with work in flight. Each
        job goes through its ``requeue`` event, so plugins (e.g. Batch) can add their own
        handling. Returns how many jobs were re-queued.
        """
        prefix = f"^{re.escape(server_name)}:"
        requeued = 0
        # A string $regex (not a compiled BSON regex): portable to every server we support.
        owned = {"state": "running", "worker_name": {"$regex": prefix}}
        for job in cls.objects(__raw__=owned):
            try:
                job.requeue(server_name)
                requeued += 1
            except StateConflictError:
                continue
        for hook in _dead_server_hooks:
            requeued += hook(cls, server_name)
        cls.rocketjob_release_paused_of(prefix)
        return requeued

    @classmethod
    def rocketjob_release_paused_of(cls, worker_prefix: str) -> int:
        """Give up plain jobs paused while workers matching ``worker_prefix`` ran them.

        Their worker is gone before reaching a checkpoint: without this, ``resume`` would
        move them back to ``running`` under a worker that no longer exists.
        """
        from rocketjob.document import registered_job_classes

        released = 0
        collection = cls._get_collection()  # type: ignore[attr-defined]
        held = {"state": "paused", "worker_name": {"$regex": worker_prefix}}
        for raw in list(collection.find(held, {"_id": 1, "_cls": 1, "worker_name": 1})):
            klass = registered_job_classes().get(raw.get("_cls", ""))
            if klass is None or getattr(klass, "rocketjob_is_batch", False):
                continue  # batch jobs keep their starter; their slices are re-queued
            released += int(release_paused(collection, raw["_id"], raw["worker_name"]))
        return released

    def rocketjob_release(self, throttled_by: str) -> None:
        """Put a claimed job back in the queue because ``throttled_by`` holds."""
        self._get_collection().update_one(  # type: ignore[attr-defined]
            {"_id": self.pk, "state": "running", "worker_name": self.worker_name},
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
        """Run start callbacks for a job the claim already moved to running."""
        self.rocketjob_run_callbacks("before", "start")  # type: ignore[attr-defined]
        self.rocketjob_run_callbacks("after", "start")  # type: ignore[attr-defined]
        if self._get_changed_fields():  # type: ignore[attr-defined]
            self.rocketjob_persist_transition(  # type: ignore[attr-defined]
                "start", {"state": "running", "worker_name": self.worker_name}
            )

    def rocketjob_work(
        self,
        worker_name: str,
        should_stop: Callable[[], bool] | None = None,
        perform_window: Callable[[], AbstractContextManager[None]] | None = None,
    ) -> None:
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
            return
        except Exception as exc:
            if isinstance(exc, TimeLimitExceeded):
                exc.args = (f"{self} ran past its time limit of {self.time_limit} s",)  # type: ignore[attr-defined]
            logger.exception("perform raised %s", type(exc).__name__)
            if not self.rocketjob_left_behind():
                self.rocketjob_fail_safely(exc, worker_name)
            return
        finally:
            self.rocketjob_checkpoint_start(None)  # type: ignore[attr-defined]
        if not self.rocketjob_left_behind():
            self.rocketjob_complete_claimed(worker_name)

    def rocketjob_left_behind(self) -> bool:
        """True when the runtime gave up on this thread (time limit): it must not write.

        The job was failed for it, and may already run again under the same worker name.
        """
        if getattr(self, "rocketjob_abandoned", False):
            self.logger.warning("perform returned after its thread was abandoned: not recorded")  # type: ignore[attr-defined]
            return True
        return False

    def rocketjob_complete_claimed(self, worker_name: str) -> None:
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
                return
            logger.info("paused after its last checkpoint: completing it")
            try:
                self.fire("complete", precondition={"worker_name": worker_name})  # type: ignore[attr-defined]
            except (StateConflictError, InvalidTransitionError) as again:
                logger.warning("not completed: %s", again)

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
