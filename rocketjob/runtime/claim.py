"""How a worker picks a job: the claim protocol.

A worker thread (``rocketjob.runtime.worker.Worker``) calls :func:`next_job` in its loop.
Two kinds of work compete:

* **queued jobs**, claimed atomically by one ``find_one_and_update`` over "queued and due"
  plus the worker's :class:`~rocketjob.runtime.claim_filter.ClaimFilter`, sorted by
  ``(priority, created_at)`` (index-backed: :mod:`rocketjob.queries`), that sets
  ``state=running``, ``worker_name`` and ``started_at``. It returns the claimed document,
  so starting a job costs one round trip;
* **running batch jobs** whose slices are being processed, which any number of workers
  *join* without writing to the job (its ``started_at`` and ``worker_name`` stay those of
  the worker that started it). Job classes say they can be joined with the class attribute
  ``rocketjob_joinable`` and implement ``rocketjob_can_join`` / ``rocketjob_join``.

The best joinable job is looked up first (a read); the queued claim then only takes a job
of strictly higher priority, so among equals work already started is finished first. A
worker that found nothing to join skips that read for ``JOIN_RECHECK_SECONDS`` (state kept
on its ClaimFilter), so a worker busy with plain jobs pays one round trip per claim.

After the claim, :func:`next_job` applies what may still refuse a job: expired jobs are
destroyed, throttled ones released back to the queue (and jobs like them excluded from the
worker's filter until the runtime resets it), joined jobs with nothing to take skipped. A
job whose class this process cannot load is put back untouched and its class excluded.

The query shapes come from :mod:`rocketjob.queries` (why they look the way they do is
written there). Dead-server recovery (:func:`requeue_dead_server`) lives here too: it is
the inverse of the claim.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import ConnectionFailure

from rocketjob import queries
from rocketjob.exceptions import StateConflictError, UnknownJobClassError
from rocketjob.plugins.job.interrupt import release_paused
from rocketjob.plugins.job.model import utc_now
from rocketjob.runtime.claim_filter import ClaimFilter
from rocketjob.runtime.work_result import WorkResult
from rocketjob.sliced.slices import release_lost_slices

#: Fields a claim removes: a job claimed is no longer throttled.
CLAIM_UNSETS = ("throttled_by", "throttled_at")

#: How long a worker that found no running batch job to join skips looking again (seconds).
JOIN_RECHECK_SECONDS = 1.0

#: Called by :func:`requeue_dead_server` with (job class, server name); each returns how
#: many more jobs it touched. Batch registers one that re-queues the dead server's slices.
_dead_server_hooks: list[Callable[[Any, str], int]] = []

Candidates = list[tuple[str, type[Any]]]


@dataclass(frozen=True)
class Claim:
    """A job a worker may now run: claimed from the queue, or ``joined`` while running."""

    job: Any
    joined: bool = False

    def work(
        self,
        worker_name: str,
        should_stop: Callable[[], bool] | None = None,
        perform_window: Callable[[], AbstractContextManager[None]] | None = None,
    ) -> WorkResult:
        """Run the job; ``perform_window`` is the time limit's (claimed plain jobs only)."""
        if self.joined:
            result: WorkResult = self.job.rocketjob_join(worker_name, should_stop)
        else:
            result = self.job.rocketjob_work(worker_name, should_stop, perform_window)
        return result


def register_dead_server_hook(hook: Callable[[Any, str], int]) -> None:
    if hook not in _dead_server_hooks:
        _dead_server_hooks.append(hook)


def claimable_classes(job_class: Any) -> Candidates:
    """(stored name, class) of ``job_class`` and its registered subclasses."""
    from rocketjob.document import registered_job_classes

    known = registered_job_classes()
    return [(name, known[name]) for name in job_class._subclasses if name in known]


def joinable_class_names(candidates: Iterable[tuple[str, type[Any]]]) -> list[str]:
    """Stored names of the classes among ``candidates`` whose running jobs can be joined."""
    return [name for name, klass in candidates if klass.rocketjob_joinable]


def next_job(job_class: Any, worker_name: str, claim_filter: ClaimFilter) -> Claim | None:
    """Claim the next job this worker should run, or None when there is nothing to do.

    Expired jobs are destroyed instead of run. A job whose throttle holds is released back
    to the queue and jobs like it are excluded from ``claim_filter`` (the caller clears the
    exclusions every ``re_check_seconds``); a job whose throttle raises is failed with that
    exception.
    """
    release_lost_slices(worker_name)
    while True:
        found = claim(job_class, worker_name, claim_filter)
        if found is None:
            return None
        job = found.job
        if found.joined:
            if job.rocketjob_can_join(worker_name):
                return found
            # Nothing to take from it now (no queued slices, or its worker cap is
            # reached): skip it until the runtime resets the exclusions.
            claim_filter.exclude_value("_id", job.pk)
            continue
        if job.is_expired():
            job.logger.info("destroyed: expired at %s", job.expires_at)
            job.delete()
            continue
        try:
            throttled = job.rocketjob_evaluate_throttles()
        except ConnectionFailure:
            raise  # an outage, not the throttle: the worker's outage handling applies
        # Anything else fails the job, also the database refusing the throttle's own query
        # (OperationFailure): treated as an outage, it was claimed and re-claimed forever.
        except Exception as exc:
            fail_for_throttle(job, exc, worker_name)
            continue
        if throttled is not None:
            name, excluded = throttled
            job.rocketjob_release(name)
            until = job.rocketjob_throttle_until(name)
            for field_name, value in excluded.items():
                claim_filter.exclude_value(field_name, value, until=until)
            continue
        return found


def fail_for_throttle(job: Any, exc: Exception, worker_name: str) -> None:
    """A throttle raised instead of answering: fail the claimed job with that exception.

    Retrying would raise again at every claim (and crash the worker thread each time, as it
    once did); failing records the error where operators look, and Retry applies.
    """
    job.logger.exception("throttle raised %s; failing the job", type(exc).__name__)
    job.rocketjob_fail_safely(exc, worker_name)


def claim(
    job_class: Any, worker_name: str, claim_filter: ClaimFilter | None = None
) -> Claim | None:
    """Claim the next job to work on (highest priority, oldest first), or None.

    When no joinable job classes are claimable, this is the single queued claim.
    """
    claim_filter = claim_filter or ClaimFilter()
    now = utc_now()
    candidates = claimable_classes(job_class)
    joinable = find_joinable(job_class, candidates, claim_filter)
    conditions = claim_filter.conditions(candidates, all_classes=not job_class._superclasses)
    if joinable is not None:
        conditions.append({"priority": {"$lt": joinable.get("priority", 50)}})
    started = {"state": "running", "worker_name": worker_name, "started_at": now}
    # The document as it was, with the update applied here: the server need not read the
    # document again to return it (less work on the embedded server), and the result is
    # the same (utc_now is already at MongoDB's millisecond precision).
    raw = job_class._get_collection().find_one_and_update(
        queries.queued_now(now, *conditions),
        {"$set": started, "$unset": dict.fromkeys(CLAIM_UNSETS, "")},
        sort=queries.CLAIM_ORDER,
        return_document=ReturnDocument.BEFORE,
    )
    if raw is not None:
        raw.update(started)
        for name in CLAIM_UNSETS:
            raw.pop(name, None)
        try:
            return Claim(job_class.rocketjob_load_claimed(raw))
        except UnknownJobClassError:
            release_unknown(job_class, raw, worker_name, claim_filter)
            return claim(job_class, worker_name, claim_filter)
    if joinable is None:
        # Idle: the next poll looks for a batch job to join again, so an idle worker
        # joins one within its poll interval (the skip is for workers busy claiming).
        claim_filter.clear_join_skip()
        return None
    try:
        return Claim(job_class._from_son(joinable), joined=True)
    except UnknownJobClassError:
        claim_filter.exclude_value("_cls", joinable.get("_cls"))
        return claim(job_class, worker_name, claim_filter)


def release_unknown(
    job_class: Any, raw: dict[str, Any], worker_name: str, claim_filter: ClaimFilter
) -> None:
    """Put back a job whose class this process cannot load, and stop claiming that class.

    Claiming without a class list keeps the hot query small; the price is that a job of a
    class defined only in another deployment can be claimed here. It is returned to the
    queue untouched (another process that has the class will run it) and the class is
    excluded from this worker's claims until the exclusions are next reset.
    """
    job_class._get_collection().update_one(
        queries.owned_by(raw["_id"], worker_name),
        {"$set": {"state": "queued"}, "$unset": {"worker_name": "", "started_at": ""}},
    )
    claim_filter.exclude_value("_cls", raw.get("_cls"))


def find_joinable(
    job_class: Any, candidates: Candidates, claim_filter: ClaimFilter
) -> dict[str, Any] | None:
    """The highest-priority running batch job whose slices are processing (read only)."""
    joinable = [(n, k) for n, k in candidates if k.rocketjob_joinable]
    if not joinable:
        return None
    now = time.monotonic()
    if claim_filter.join_lookup_skipped(now):
        return None
    collection = job_class._get_collection()
    # Two equalities without sort answer the common "no batch job is processing" at a
    # fraction of the cost of the full query (the embedded server scans and sorts for it:
    # see docs/performance.md), which then runs only when there is something to find.
    # Jobs this worker skips for now (drained ones) are left out here too, or a worker
    # that drained the only batch job would pay for the full query at every poll.
    raw: dict[str, Any] | None = None
    if collection.find_one(queries.processing(*claim_filter.id_conditions()), {"_id": 1}):
        raw = best_processing(collection, joinable, claim_filter)
    if raw is None:
        # Nothing to join: skip this read for a moment, so that a worker busy with plain
        # jobs pays one round trip per claim, not two. A batch job that starts processing
        # meanwhile is joined at most JOIN_RECHECK_SECONDS later.
        claim_filter.skip_join_lookup(now + JOIN_RECHECK_SECONDS)
    return raw


def best_processing(
    collection: Any, joinable: Candidates, claim_filter: ClaimFilter
) -> dict[str, Any] | None:
    """The first processing job, in claim order, of a class this worker may join.

    The processing jobs (a few batch jobs) are read through the claim index, and their
    class is checked here: a class condition in the query (an ``$or`` of the joinable
    classes) would make the embedded server's ``find`` read the whole jobs collection
    (see "No ``$and`` in hot reads" in :mod:`rocketjob.queries`).
    """
    names = set(claim_filter.class_names(joinable))
    if not names:
        return None
    found = collection.find(
        queries.processing(*claim_filter.other_conditions()), sort=queries.CLAIM_ORDER
    )
    for raw in found:
        if raw.get("_cls") in names:
            found.close()
            return dict(raw)
    return None


def requeue_dead_server(job_class: Any, server_name: str) -> int:
    """Re-queue every running job that a worker of ``server_name`` had claimed.

    Called when a server is found to be a zombie, or shuts down with work in flight. Each
    job goes through its ``requeue`` event, so plugins (e.g. Batch) can add their own
    handling. Returns how many jobs were re-queued.
    """
    requeued = 0
    for job in job_class.objects(__raw__=queries.claimed_by_server(server_name)):
        try:
            job.requeue(server_name)
            requeued += 1
        except StateConflictError:
            continue
    for hook in _dead_server_hooks:
        requeued += hook(job_class, server_name)
    release_paused_of(job_class, queries.workers_of(server_name))
    return requeued


def release_paused_of(job_class: Any, held_by: dict[str, Any]) -> int:
    """Give up plain jobs paused while the workers that ``held_by`` (a ``worker_name``
    condition) matches ran them.

    Their worker is gone before reaching a checkpoint (see
    :mod:`rocketjob.plugins.job.interrupt`): without this, ``resume`` would move them back
    to ``running`` under a worker that no longer exists. Joinable (batch) jobs keep their
    starter; their slices are re-queued by the hooks.
    """
    from rocketjob.document import registered_job_classes

    released = 0
    collection = job_class._get_collection()
    # A read each worker thread sends when it starts (every resume restarts them): its
    # fields side by side, or the embedded server reads every job (rocketjob.queries).
    held = queries.fields(queries.eq("state", "paused"), held_by)
    for raw in list(collection.find(held, {"_id": 1, "_cls": 1, "worker_name": 1})):
        klass = registered_job_classes().get(raw.get("_cls", ""))
        if klass is None or getattr(klass, "rocketjob_joinable", False):
            continue
        released += int(release_paused(collection, raw["_id"], raw["worker_name"]))
    return released
