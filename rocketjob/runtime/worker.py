"""``Worker``: one thread that claims jobs and runs them until told to stop.

The loop: claim the next job (:func:`rocketjob.runtime.claim.next_job`: how a worker picks a
job), run it (``Claim.work``, which returns a ``WorkResult``), repeat; sleep up to
``max_poll_seconds`` (with jitter) when there is nothing to do. Throttle exclusions are cleared
every ``re_check_seconds``. Database errors never kill the thread: they are retried with
backoff, and a job whose completion could not be written is finished when the database returns
(see ``completion``). Any other exception in the loop itself (not in ``perform``, which fails
the job) is logged and ends the thread; the supervisor's next rebalance starts a replacement,
which first re-queues any job its predecessor had claimed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import close_old_connections, connections
from pymongo.errors import PyMongoError

from rocketjob import queries, signals, tracing
from rocketjob.conf import RocketJobSettings
from rocketjob.exceptions import (
    InvalidTransitionError,
    StateConflictError,
    TimeLimitExceeded,
    UnknownJobClassError,
)
from rocketjob.plugins.job.model import utc_now
from rocketjob.runtime import claim, completion
from rocketjob.runtime.backoff import Backoff, retry_db
from rocketjob.runtime.claim_filter import ClaimFilter
from rocketjob.runtime.time_limit import PerformWindow, TimeLimitWatch, async_raise
from rocketjob.runtime.work_result import WorkResult

logger = logging.getLogger(__name__)

#: How long a worker skips a batch job it found drained before looking at it again.
DRAINED_SKIP_SECONDS = 5.0

#: Live workers of this process, woken when a batch job opens its slices (see ``nudge``).
_live_workers: weakref.WeakSet[Worker] = weakref.WeakSet()


class WorkerKilled(Exception):
    """Raised inside a worker thread by a ``kill`` event; a job it interrupts fails."""


@dataclass(frozen=True)
class CurrentJob:
    job_id: str
    job_class: str
    started_at: datetime


class Worker:
    """A worker thread named ``<server name>:<index>``."""

    def __init__(
        self,
        server_name: str,
        index: int,
        settings: RocketJobSettings,
        claim_filter: ClaimFilter,
        start_delay: float = 0.0,
        on_abandoned: Callable[[Worker], None] | None = None,
    ) -> None:
        self.server_name = server_name
        self.index = index
        self.name = f"{server_name}:{index}"
        self.settings = settings
        self.claim_filter = claim_filter
        self.start_delay = start_delay
        self.current: CurrentJob | None = None
        #: When the claim in progress began (None when not claiming): see lost_claims.
        self.claiming_since: datetime | None = None
        self.crashed: BaseException | None = None
        self.killed = False
        #: Left stuck in a job past its time limit; the pool replaced it (time_limit.py).
        self.abandoned = False
        self.on_abandoned = on_abandoned
        self._window = PerformWindow()
        self.idle = False  # waiting for its next poll: nothing was claimable
        self._claim_failures = 0
        self._stop = threading.Event()
        self._nudged = threading.Event()
        self._next_reset = 0.0  # when the claim filter's exclusions are next cleared
        self.thread = threading.Thread(
            target=self._run, name=f"rocketjob-worker-{index}", daemon=True
        )

    # -- control (any thread) -------------------------------------------------------------
    def start(self) -> Worker:
        _live_workers.add(self)
        self.thread.start()
        return self

    def stop(self) -> None:
        """Finish the current job, then exit."""
        self._stop.set()
        self._nudged.set()

    def nudge(self) -> None:
        """End an idle wait now: there may be work (a worker that is busy is unaffected)."""
        self._nudged.set()

    def kill(self) -> bool:
        """Raise WorkerKilled inside the thread now (at its next Python instruction).

        A thread blocked in C code (a socket read, ``time.sleep``) sees it when that returns.
        """
        self.killed = True
        self._stop.set()
        ident = self.thread.ident
        if ident is None or not self.thread.is_alive():
            return False
        return async_raise(ident, WorkerKilled)

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    # -- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._loop()
        except WorkerKilled:
            logger.warning("worker killed", extra={"worker": self.name})
        except BaseException as exc:
            self.crashed = exc
            logger.exception(
                "worker thread crashed; the supervisor will replace it",
                extra={"worker": self.name},
            )
        finally:
            self.current = None
            self.claiming_since = None
            connections.close_all()  # this thread's own SQL connections

    def _loop(self) -> None:
        if self.start_delay and self._stop.wait(self.start_delay):
            return
        self._recover("re-queue claims of a previous thread")
        backoff = Backoff(cap=max(1.0, self.settings.heartbeat_seconds))
        self._next_reset = time.monotonic() + self.settings.re_check_seconds
        while not self._stop.is_set():
            if time.monotonic() >= min(self._next_reset, self.claim_filter.reset_due):
                self.claim_filter.reset_exclusions()
                self._next_reset = time.monotonic() + self.settings.re_check_seconds
            try:
                claimed = self._claim()
            except PyMongoError:
                # The claim may have been applied with its answer lost: recover it later.
                if self._stop.wait(backoff.next_delay()):
                    break
                self._recover("re-queue uncertain claims")
                continue
            backoff.reset()
            if claimed is None:
                poll = self.settings.max_poll_seconds * random.uniform(0.5, 1.0)
                # A rate-limit window that ends sooner ends the wait with it.
                until_reset = self.claim_filter.reset_due - time.monotonic()
                self._idle(max(0.0, min(poll, until_reset)))
                continue
            if self._execute(claimed) is WorkResult.DRAINED:
                self._skip_drained(claimed.job.pk)
            if self.killed:
                raise WorkerKilled(f"worker {self.name} killed")

    def _skip_drained(self, job_id: Any) -> None:
        """Leave a batch job with no queued slice out of the next claims, for a moment.

        Its last slices are finishing on other workers; re-joining it at every poll would
        cost four round trips each time for nothing. The skip ends with the next reset of the
        exclusions, brought forward to at most ``DRAINED_SKIP_SECONDS`` from now, so slices
        re-queued later (a dead server's, a retry) are picked up again promptly.
        """
        self.claim_filter.exclude_value("_id", job_id)
        self._next_reset = min(self._next_reset, time.monotonic() + DRAINED_SKIP_SECONDS)

    def _idle(self, seconds: float) -> None:
        """Wait for the next poll; a stop or a nudge ends the wait early."""
        self.idle = True
        self._nudged.wait(seconds)
        self._nudged.clear()
        self.idle = False

    def _claim(self) -> claim.Claim | None:
        from rocketjob.job import Job

        self.claiming_since = utc_now()
        if self._stop.is_set():  # checked after claiming_since is set: a stopping supervisor
            self.claiming_since = None  # waits only for claims it can see (see supervisor)
            return None
        try:
            found = claim.next_job(Job, self.name, self.claim_filter)
        except PyMongoError as exc:
            self.claiming_since = None
            from rocketjob.runtime import health

            health.record_failure()
            self._claim_failures += 1
            if self._claim_failures == 1 or self._claim_failures % 20 == 0:
                logger.warning(
                    "claim failed: %s",
                    exc,
                    extra={
                        "worker": self.name,
                        "failures": self._claim_failures,
                        "error": str(exc)[:500],
                    },
                )
            raise
        if found is None:
            self.claiming_since = None
        if self._claim_failures:
            logger.info("claiming again", extra={"worker": self.name})
            self._claim_failures = 0
        return found

    def _execute(self, claimed: claim.Claim) -> WorkResult | None:
        """Run the claimed job; None when its end is written only after a database outage."""
        job = claimed.job
        self.current = CurrentJob(str(job.pk), type(job).__name__, utc_now())
        self.claiming_since = None  # only now: ``current`` covers the claimed job
        outcome = completion.watch_perform(job)
        deadline = time.monotonic() + self.settings.re_check_seconds

        def should_stop() -> bool:
            return self._stop.is_set() or time.monotonic() > deadline

        # Django gives each thread its own SQL connections; like a request, a job starts and
        # ends by dropping connections that are broken or past CONN_MAX_AGE.
        close_old_connections()
        limit = job.rocketjob_time_limit_seconds()
        watch = None
        if limit:
            watch = TimeLimitWatch(
                limit,
                self.settings.time_limit_grace_seconds,
                self._window,
                lambda: self._abandon(job, limit),
                str(job.pk),
            )
        try:
            with tracing.job_span(job, self.name):
                return claimed.work(self.name, should_stop, self._window.open if watch else None)
        except TimeLimitExceeded:
            # Raised just as perform returned (the watchdog fired at the same moment): the
            # job's outcome is already recorded.
            logger.warning("time limit reached as perform ended", extra={"job_id": str(job.pk)})
            return WorkResult.FAILED
        except PyMongoError as exc:
            from rocketjob.runtime import health

            health.record_failure()
            logger.warning(
                "could not record the end of a job; retrying until the database is back",
                extra={"worker": self.name, "job_id": str(job.pk), "error": str(exc)[:500]},
            )
            done = retry_db(
                lambda: completion.finish(job, self.name, self.server_name, outcome),
                f"finish job {job.pk}",
            )
            logger.info("finished job after outage: %s", done, extra={"job_id": str(job.pk)})
            return None
        finally:
            if watch is not None:
                watch.cancel()
            self.current = None
            close_old_connections()

    def _abandon(self, job: Any, limit: float) -> None:
        """Called by the watchdog when perform ignored TimeLimitExceeded (blocked in C code).

        The job is failed here, before the pool starts a replacement thread with this
        worker's name (whose recovery would otherwise re-queue the job the stuck thread still
        runs). This thread is told to stop: it exits once its C call returns.
        """
        from rocketjob.job import Job

        self.abandoned = True
        self._stop.set()
        job.rocketjob_abandoned = True  # the stuck thread must record nothing later
        job_id = job.pk
        error = TimeLimitExceeded(
            f"job {job_id} ran past its time limit of {limit} s and did not stop within "
            f"{self.settings.time_limit_grace_seconds} s; its worker thread was abandoned"
        )
        try:
            Job.load(job_id).fire("fail", exception=error, worker_name=self.name)
        except (StateConflictError, InvalidTransitionError, UnknownJobClassError) as exc:
            logger.info("abandoned job changed meanwhile: %s", exc, extra={"job_id": str(job_id)})
        except Job.DoesNotExist:
            pass
        except PyMongoError as exc:
            logger.warning("could not fail abandoned job %s: %s", job_id, exc)
        if self.on_abandoned is not None:
            self.on_abandoned(self)

    def _recover(self, what: str) -> None:
        try:
            retry_db(self._requeue_own_claims, what, self._stop)
        except PyMongoError:
            return  # stopping while the database is down: the server's exit re-queues

    def _requeue_own_claims(self) -> int:
        """Re-queue jobs still running under this worker's name while it runs none.

        Happens after a claim whose answer was lost, or when this thread replaces one that
        crashed or was killed holding a job. Batch jobs (which many workers share) are left
        to their own recovery.
        """
        from rocketjob.job import Job

        requeued = 0
        owned = Job._get_collection().find(
            queries.running(queries.eq("worker_name", self.name)), {"_id": 1}
        )
        for raw in list(owned):
            try:
                job = Job.load(raw["_id"])
            except (UnknownJobClassError, Job.DoesNotExist) as exc:
                logger.warning("cannot re-queue job %s: %s", raw["_id"], exc)
                continue
            try:
                if not job.rocketjob_requeue_lost(self.server_name):
                    continue
            except (StateConflictError, InvalidTransitionError) as exc:
                logger.info("job %s changed meanwhile: %s", raw["_id"], exc)
                continue
            requeued += 1
            logger.warning("re-queued a job this worker had lost", extra={"job_id": str(job.pk)})
        # Paused while a previous thread of this name ran them, before it reached a
        # checkpoint: let them go, so resume re-queues them.
        claim.release_paused_of(Job, queries.eq("worker_name", self.name))
        return requeued


def nudge_idle_workers(sender: Any = None, **kwargs: Any) -> None:
    """Wake this process's idle workers (receiver of ``batch_processing_started``)."""
    for worker in list(_live_workers):
        worker.nudge()


signals.batch_processing_started.connect(nudge_idle_workers, dispatch_uid="rocketjob-nudge")
