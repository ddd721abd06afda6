"""The worker side of a batch job: before_batch, slices, after_batch.

The worker that claims the queued job runs ``before_batch`` (sub_state ``before``), then
moves the job to ``processing``. From then on any number of workers join it and take slices
one at a time. Each slice costs three round trips: the claim (``find_one_and_update``, which
returns the records), the output write (one idempotent upsert per output category that has
results) and the delete of the input slice. A worker returns to the job queue after
``re_check_seconds`` so higher-priority jobs are not starved, and re-reads the job's state
about once a second so pause/abort/fail made elsewhere stop it promptly.

The worker that finds no slice left wins an atomic ``processing -> after`` update, runs
``after_batch`` and completes the job; if only failed slices remain, it fails the job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from pymongo.errors import ConnectionFailure, PyMongoError

from rocketjob import queries, signals
from rocketjob.batch.records import BatchRecords
from rocketjob.exceptions import InvalidTransitionError, RocketJobError, StateConflictError
from rocketjob.metrics.receivers import record_records
from rocketjob.runtime.work_result import WorkResult
from rocketjob.sliced.slices import Slice, remember_lost_slice

#: How often a worker busy with slices re-reads the job's state (seconds).
STATE_CHECK_SECONDS = 1.0
#: How often a worker refreshes the job's ``percent_complete`` (seconds).
PERCENT_REFRESH_SECONDS = 5.0


def _never() -> bool:
    return False


class BatchSlicesFailedError(RocketJobError):
    """The job failed because some of its slices failed; ``retry`` re-runs only those."""


class BatchWorker(BatchRecords):
    """``rocketjob_work`` / ``rocketjob_join`` for batch jobs, and the per-slice processing."""

    pk: Any
    state: str
    sub_state: Any
    worker_name: Any
    record_count: Any
    input_columns: Any
    throttle_running_workers: Any

    #: [first record number of the slice, index in the slice] while a slice is processed.
    #: A plain list updated in place: setting an attribute on a mongoengine document per
    #: record costs more than many ``perform`` calls.
    _rocketjob_position: list[int] | None = None
    #: The slice being processed, for callbacks.
    rocketjob_slice: Slice | None = None

    @property
    def record_number(self) -> int | None:
        """Number (1-based, over every upload of the job) of the record being performed."""
        position = self._rocketjob_position
        return None if position is None else position[0] + position[1]

    def perform(self, record: Any) -> Any:
        """Process one record; the return value goes to the ``main`` output category."""
        raise NotImplementedError(f"{type(self).__name__} must define perform(record)")

    def before_batch(self) -> None:
        """Runs once, on one worker, before any slice is processed."""

    def after_batch(self) -> None:
        """Runs once, on the worker that finished the last slice, before the job completes."""

    # -- entry point from the runtime -----------------------------------------------------
    def rocketjob_work(
        self,
        worker_name: str,
        should_stop: Callable[[], bool] | None = None,
        perform_window: Callable[[], AbstractContextManager[None]] | None = None,
    ) -> WorkResult:
        """Work on the job this worker claimed from the queue: before_batch, then slices.

        ``perform_window`` is unused: time limits apply to plain jobs only."""
        try:
            self.rocketjob_start_claimed()  # type: ignore[attr-defined]
            if self.sub_state in (None, "before") and not self.rocketjob_batch_before(worker_name):
                return WorkResult.FAILED
            if self.sub_state == "after":
                return self.rocketjob_batch_after(worker_name)
            return self.rocketjob_process_slices(worker_name, should_stop or _never)
        except StateConflictError as conflict:
            self.logger.info("stopped: %s", conflict)  # type: ignore[attr-defined]
            return WorkResult.CONFLICT

    def rocketjob_join(
        self, worker_name: str, should_stop: Callable[[], bool] | None = None
    ) -> WorkResult:
        """Take slices of a running job another worker started."""
        try:
            return self.rocketjob_process_slices(worker_name, should_stop or _never)
        except StateConflictError as conflict:
            self.logger.info("stopped: %s", conflict)  # type: ignore[attr-defined]
            return WorkResult.CONFLICT

    def rocketjob_requeue_lost(self, server_name: str) -> bool:
        """Left as it is: many workers share the job; a lost slice is re-queued by its
        worker's next claim (see ``rocketjob.sliced.slices.release_lost_slices``) or by the
        server's lost-claim check (``rocketjob.runtime.lost_claims``)."""
        return False

    def rocketjob_requeue_unheld(self, server_name: str) -> bool:
        """No worker of ``server_name`` works on this job (the lost-claim check knows it):
        re-queue it unless its slices are being processed, when it is shared."""
        if self.sub_state == "processing":
            return False
        self.requeue(server_name)  # type: ignore[attr-defined]
        return True

    def rocketjob_finish_after_outage(
        self, worker_name: str, server_name: str, outcome: Any
    ) -> str:
        self.logger.warning("batch job interrupted by a database error")  # type: ignore[attr-defined]
        return "left to batch"

    def rocketjob_can_join(self, worker_name: str) -> bool:
        """Whether a worker should join this running job now (called before joining)."""
        slices = self.input()  # type: ignore[attr-defined]
        if slices.has_queued():
            if self.rocketjob_workers_capped(slices):  # type: ignore[attr-defined]
                return False
            return self.rocketjob_batch_throttled() is None  # type: ignore[attr-defined]
        self.rocketjob_batch_check_complete(worker_name)
        return False

    def rocketjob_run_perform(self) -> None:
        """``perform_now``: the whole batch in this thread (before, every slice, after).

        Nothing is written to the job; slices are consumed and outputs stored as usual. The
        first record that raises stops the run and its exception is re-raised (its slice
        stays failed, as with a worker).
        """
        self.rocketjob_run_callbacks("before", "batch")  # type: ignore[attr-defined]
        self.before_batch()
        slices = self.input()  # type: ignore[attr-defined]
        while (slice_ := slices.claim("inline")) is not None:
            if not self.rocketjob_process_slice(slice_):
                error = self.__dict__.pop("_rocketjob_slice_error", None)
                raise error or BatchSlicesFailedError(f"slice {slice_.id} failed")
        self.after_batch()
        self.rocketjob_run_callbacks("after", "batch")  # type: ignore[attr-defined]

    # -- before / after -------------------------------------------------------------------
    def rocketjob_batch_before(self, worker_name: str) -> bool:
        expected = {"state": "running", "worker_name": worker_name}
        try:
            if self.sub_state is None:
                self.sub_state = "before"
                self.rocketjob_persist_transition("before_batch", expected)  # type: ignore[attr-defined]
            self.rocketjob_check_paths()  # type: ignore[attr-defined]  # see allowed_paths
            self.rocketjob_run_callbacks("before", "batch")  # type: ignore[attr-defined]
            self.before_batch()
        except StateConflictError:
            raise
        except Exception as exc:
            self.logger.exception("before_batch raised %s", type(exc).__name__)  # type: ignore[attr-defined]
            self.rocketjob_fail_safely(exc, worker_name)  # type: ignore[attr-defined]
            return False
        self.sub_state = "processing"
        self.rocketjob_persist_transition("before_batch", expected)  # type: ignore[attr-defined]
        signals.batch_processing_started.send(sender=type(self), job=self)
        return True

    def rocketjob_batch_after(self, worker_name: str) -> WorkResult:
        try:
            self.after_batch()
            self.rocketjob_run_callbacks("after", "batch")  # type: ignore[attr-defined]
        except Exception as exc:
            self.logger.exception("after_batch raised %s", type(exc).__name__)  # type: ignore[attr-defined]
            self.rocketjob_fail_safely(exc, worker_name)  # type: ignore[attr-defined]
            return WorkResult.FAILED
        self.fire("complete", precondition={"sub_state": "after"})  # type: ignore[attr-defined]
        return WorkResult.PERFORMED

    def rocketjob_batch_check_complete(self, worker_name: str) -> None:
        """If no slice is left to process, complete (or fail) the job: one worker wins."""
        if self.record_count is None or self.state != "running":
            return  # still uploading, or no longer ours to finish
        counts = self.input().counts_by_state()  # type: ignore[attr-defined]
        if counts["queued"] or counts["running"]:
            return
        failed = counts["failed"]
        try:
            if failed:
                error = BatchSlicesFailedError(
                    f"{failed} slice{'s' if failed != 1 else ''} failed to process; "
                    "retry the job to process them again"
                )
                self.fire(  # type: ignore[attr-defined]
                    "fail",
                    exception=error,
                    worker_name=worker_name,
                    precondition={"sub_state": "processing"},
                )
                return
            won = self._get_collection().find_one_and_update(  # type: ignore[attr-defined]
                queries.matching(self.pk, {"state": "running", "sub_state": "processing"}),
                {"$set": {"sub_state": "after", "worker_name": worker_name}},
                projection={"_id": 1},
            )
            if won is None:
                return
            self.sub_state = "after"
            self.worker_name = worker_name
            self._clear_changed_fields()  # type: ignore[attr-defined]
            self.rocketjob_batch_after(worker_name)
        except (StateConflictError, InvalidTransitionError):
            return  # another worker finished it first

    # -- slices ---------------------------------------------------------------------------
    def rocketjob_process_slices(self, worker_name: str, stop: Callable[[], bool]) -> WorkResult:
        """Take slices until none is left, ``stop()``, or ``re_check_seconds`` passed.

        A database error mid-slice is not propagated: the slice stays ``running`` under
        this worker's name and the worker's next claim re-queues it (see
        :func:`~rocketjob.sliced.slices.release_lost_slices`), without touching the slices
        other threads of this server hold.
        """
        slices = self.input()  # type: ignore[attr-defined]
        try:
            return self.rocketjob_slice_loop(slices, worker_name, stop)
        except PyMongoError as exc:
            remember_lost_slice(worker_name, slices.name)
            self.logger.warning(  # type: ignore[attr-defined]
                "database error while processing slices; the slice is re-queued once the "
                "database answers: %s",
                exc,
                extra={"worker": worker_name, "error": str(exc)[:500]},
            )
            return WorkResult.YIELDED

    def rocketjob_slice_loop(
        self, slices: Any, worker_name: str, stop: Callable[[], bool]
    ) -> WorkResult:
        """DRAINED when no queued slice is left (the runtime then skips the job for a moment
        instead of re-joining it while its last slices finish elsewhere), else YIELDED."""
        from rocketjob.conf import get_settings

        re_check = get_settings().re_check_seconds
        # A worker holds one slice at a time, so a slice still running under this worker's
        # name was left by an interrupted run: re-queue it before taking new work.
        slices.requeue_running(worker_name, exact=True)
        started = last_check = time.monotonic()
        if self.rocketjob_batch_throttled():  # type: ignore[attr-defined]
            return WorkResult.YIELDED
        while not stop():
            slice_ = slices.claim(worker_name)
            if slice_ is None:
                self.rocketjob_batch_check_complete(worker_name)
                return WorkResult.DRAINED
            if self.rocketjob_slice_throttled(slices):  # type: ignore[attr-defined]
                slices.release(slice_)
                return WorkResult.YIELDED
            self.rocketjob_process_slice(slice_)
            now = time.monotonic()
            if now - started >= re_check:
                return WorkResult.YIELDED
            if now - last_check >= STATE_CHECK_SECONDS:
                last_check = now
                if not self.rocketjob_still_processing() or self.rocketjob_batch_throttled():  # type: ignore[attr-defined]
                    return WorkResult.YIELDED
        return WorkResult.YIELDED

    def rocketjob_process_slice(self, slice_: Slice) -> bool:
        """Perform every record of ``slice_``; store its output and delete it, or fail it.

        A record that raises fails the slice: the output of the records before it is saved
        and ``processing_record_number`` tells a retry where to resume. Output that cannot be
        stored (e.g. a value BSON cannot encode) fails the slice too, to be redone whole.
        A lost database connection is not the record's fault: it propagates.
        """
        slices = self.input()  # type: ignore[attr-defined]
        outputs = self.rocketjob_output_buffers(slice_)
        start = slice_.processing_record_number
        self.rocketjob_slice = slice_
        position = self._rocketjob_position = [slice_.id, start]
        failure: Exception | None = None
        try:
            self.rocketjob_run_callbacks("before", "slice")  # type: ignore[attr-defined]
            self.rocketjob_run_around(  # type: ignore[attr-defined]
                "slice", lambda: self.rocketjob_perform_records(slice_, outputs, position)
            )
            self.rocketjob_run_callbacks("after", "slice")  # type: ignore[attr-defined]
        except ConnectionFailure:
            raise
        except Exception as exc:
            failure = exc
        finally:
            self.rocketjob_slice = None
            self._rocketjob_position = None
            self.rocketjob_flush_statistics()  # type: ignore[attr-defined]
        reached = failure is not None and position[1] < len(slice_.records)
        record_number = position[0] + position[1] if reached else None
        processed = position[1]
        try:
            self.rocketjob_write_outputs(slice_, outputs)
        except ConnectionFailure:
            raise
        except Exception as exc:  # unstorable output: redo the slice from where it started
            failure, record_number, processed = failure or exc, None, start
        record_records(self, processed - start)
        if failure is None:
            slices.complete(slice_)
            return True
        self.logger.warning(  # type: ignore[attr-defined]
            "slice %s failed at record %s: %s",
            slice_.id,
            record_number,
            failure,
            extra={"slice": slice_.id, "record_number": record_number},
        )
        slices.fail(slice_, failure, record_number, processed)
        self.__dict__["_rocketjob_slice_error"] = failure
        return False

    def rocketjob_still_processing(self) -> bool:
        """Re-read state, sub_state and the worker cap; refresh ``percent_complete``."""
        raw = self._get_collection().find_one(  # type: ignore[attr-defined]
            {"_id": self.pk},
            projection={"state": 1, "sub_state": 1, "throttle_running_workers": 1},
        )
        if raw is None:
            return False
        self.throttle_running_workers = raw.get("throttle_running_workers")
        self._clear_changed_fields()  # type: ignore[attr-defined]
        if raw.get("state") != "running" or raw.get("sub_state") != "processing":
            return False
        now = time.monotonic()
        if now - self.__dict__.get("_rocketjob_percent_at", 0.0) >= PERCENT_REFRESH_SECONDS:
            self.__dict__["_rocketjob_percent_at"] = now
            self.rocketjob_update_percent_complete()  # type: ignore[attr-defined]
        return True
