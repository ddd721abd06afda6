"""Lost claims: work recorded under this server's workers that none of them holds.

A claim is one ``find_one_and_update``. When the database applies it but the worker never
learns the answer, the job (or batch slice) stays ``running`` under that worker's name while
the worker goes on with other work, and the server keeps heartbeating, so zombie recovery
never sees it. A dropped connection reports an error and the worker re-queues its own claims
(``Worker._requeue_own_claims``); a driver that *retries* the claim transparently, on a
server that does not deduplicate the retry, hands the worker the answer of the second
execution instead, and nothing reports the first. So at every heartbeat the supervisor asks:
which jobs and slices running under my workers' names is none of my workers working on?

The race to avoid is a worker that has just claimed a job and not yet said so (``current``).
Work is re-queued only when it was seen unheld at **two consecutive checks**, a heartbeat
apart, under the same worker name; and at each check the snapshot of what the workers hold
is taken *before* the database is read, and a worker with a claim in progress
(``Worker.claiming_since``) makes none of its work a suspect. A claimed job is named in the
worker's ``current`` within microseconds of the claim's answer, so it is never unheld at two
checks. (Comparing ``started_at`` with a grace period would do the same in one check, but
date comparisons are not answered alike by every server we support.)

Jobs go through their ``requeue`` event (state-guarded: a job that completed meanwhile is
left alone; a batch job only outside ``processing``, see ``rocketjob_requeue_unheld``). A batch
job's slices count as held while the worker named on them works on that job (a slice's
claim and its processing are not told apart more finely): they become suspects once that
worker has moved on, and are re-queued only if still running under the same worker.

Recovery takes one to two heartbeats. Tests: ``tests/acceptance/test_workers_lost_claim.py``
(a real worker behind a proxy that loses the claim's reply).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from rocketjob import queries
from rocketjob.exceptions import InvalidTransitionError, StateConflictError, UnknownJobClassError

logger = logging.getLogger(__name__)

#: A job suspect: (job id, worker name); a slice suspect: (job id, category, slice id, worker).
JobSuspect = tuple[str, str]
SliceSuspect = tuple[str, str, int, str]


class _Current(Protocol):
    @property
    def job_id(self) -> str: ...


class HoldingWorker(Protocol):
    """What this check reads from a worker thread (``rocketjob.runtime.worker.Worker``)."""

    @property
    def name(self) -> str: ...

    @property
    def current(self) -> _Current | None: ...

    @property
    def claiming_since(self) -> datetime | None: ...


class LostClaims:
    """The check of one server; keeps the suspects of its previous run."""

    def __init__(self, server_name: str) -> None:
        self.server_name = server_name
        self._jobs: set[JobSuspect] = set()
        self._slices: set[SliceSuspect] = set()

    def check(self, job_class: Any, workers: Iterable[HoldingWorker]) -> int:
        """Re-queue work unheld at this check and the previous one; returns how much."""
        working_on: set[tuple[str, str]] = set()  # (worker name, job id): taken first
        claiming: set[str] = set()
        for worker in workers:
            if worker.claiming_since is not None:
                claiming.add(worker.name)
            current = worker.current
            if current is not None:
                working_on.add((worker.name, current.job_id))
        held_jobs = {job_id for _, job_id in working_on}
        collection = job_class._get_collection()
        owned = collection.find(queries.claimed_by_server(self.server_name), {"worker_name": 1})
        jobs = {
            (str(raw["_id"]), str(raw.get("worker_name")))
            for raw in owned
            if str(raw["_id"]) not in held_jobs and raw.get("worker_name") not in claiming
        }
        slices = set()
        for raw in list(collection.find(queries.processing(), {"_id": 1})):
            job = _load(job_class, raw["_id"])
            for category, slice_id, owner in _running_slices(job, self.server_name):
                if (owner, str(raw["_id"])) not in working_on:
                    slices.add((str(raw["_id"]), category, slice_id, owner))
        requeued = 0
        for job_id, _ in sorted(jobs & self._jobs):
            requeued += self._requeue_job(job_class, job_id)
        for job_id, category, slice_id, owner in sorted(slices & self._slices):
            requeued += self._requeue_slice(job_class, job_id, category, slice_id, owner)
        self._jobs, self._slices = jobs - self._jobs, slices - self._slices
        return requeued

    def _requeue_job(self, job_class: Any, job_id: str) -> int:
        job = _load(job_class, job_id)
        if job is None:
            return 0
        try:
            if not job.rocketjob_requeue_unheld(self.server_name):
                return 0
        except (StateConflictError, InvalidTransitionError) as exc:
            logger.info("job %s changed meanwhile: %s", job_id, exc)
            return 0
        logger.warning(
            "re-queued a job running under this server's worker that none holds (lost claim)",
            extra={"job_id": job_id, "server": self.server_name},
        )
        return 1

    def _requeue_slice(
        self, job_class: Any, job_id: str, category: str, slice_id: int, worker: str
    ) -> int:
        job = _load(job_class, job_id)
        if job is None or not job.input(category).requeue_held_by(slice_id, worker):
            return 0
        logger.warning(
            "re-queued a slice running under this server's worker that none holds (lost claim)",
            extra={"job_id": job_id, "slice_id": slice_id, "worker": worker},
        )
        return 1


def _running_slices(job: Any, server_name: str) -> list[tuple[str, int, str]]:
    running_slices_of = getattr(job, "rocketjob_running_slices_of", None)
    if running_slices_of is None:
        return []
    found: list[tuple[str, int, str]] = running_slices_of(server_name)
    return found


def _load(job_class: Any, job_id: Any) -> Any:
    try:
        return job_class.load(job_id)
    except (UnknownJobClassError, job_class.DoesNotExist) as exc:
        logger.warning("cannot check job %s for lost claims: %s", job_id, exc)
        return None
