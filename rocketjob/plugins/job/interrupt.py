"""Cooperative checkpoints: how abort, fail and pause reach a plain job's running ``perform``.

Python cannot safely stop a thread from outside, and a job's own writes are only safe to stop
at points the job chooses. So a long ``perform`` calls ``self.checkpoint()`` at such points::

    class ExportJob(Job):
        checkpoints = True          # it calls checkpoint(): it may be paused while running
        pausable = True

        def perform(self):
            for chunk in chunks():
                self.checkpoint()   # raises JobInterrupted once an operator stopped the job
                write(chunk)

``checkpoint()`` costs nothing most of the time: it reads the job's state from the database at
most every ``checkpoint_seconds`` (default 1 s), one ``find_one`` on ``_id``. When the stored
job is no longer ``running`` under this worker (aborted, failed, paused, re-queued elsewhere,
destroyed) it raises :class:`JobInterrupted`. The worker then leaves the job exactly as the
operator set it: an aborted job stays aborted (not failed), a failed one failed, and a paused
one paused, released by its worker so that ``resume`` re-queues it to run ``perform`` again
from the start (keep your own progress in fields if it should continue where it stopped).

Outside a worker (``perform_now``) a checkpoint does nothing. Batch jobs check between slices
on their own; ``checkpoint()`` is a no-op in their ``perform(record)``.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rocketjob import queries
from rocketjob.exceptions import InvalidTransitionError, RocketJobError


class JobInterrupted(RocketJobError):
    """Raised by ``checkpoint()``: the job was stopped meanwhile; ``state`` is what it is now."""

    def __init__(self, job: object, state: str | None) -> None:
        self.state = state
        now = f"it is now {state}" if state else "it was destroyed"
        super().__init__(f"{job!s} stopped at a checkpoint: {now}")


class JobNotInterruptibleError(InvalidTransitionError):
    """Pausing a running job whose ``perform`` does not call ``checkpoint()``."""

    def __init__(self, job: object, state: str) -> None:
        super().__init__(job, "pause", state)
        self.args = (
            f"cannot pause {job!s} while it is running: {type(job).__name__} does not call "
            "checkpoint() in perform (set checkpoints = True on the class once it does); "
            "abort it, or pause it before it starts",
        )

    def __str__(self) -> str:
        return str(self.args[0])


class InterruptMixin:
    """``checkpoint()`` and the rule that only checkpointing jobs pause while running."""

    #: The class's ``perform`` calls ``checkpoint()``: a pause then takes effect while it runs.
    checkpoints: ClassVar[bool] = False
    #: Read the job's state at most this often (seconds) from ``checkpoint()``.
    checkpoint_seconds: ClassVar[float] = 1.0

    #: Set by the worker running this job (``rocketjob_work``); None inline.
    _rocketjob_checkpoint_worker: str | None = None
    _rocketjob_checkpoint_next: float = 0.0

    pk: Any
    state: str
    pausable: bool

    def checkpoint(self) -> None:
        """Raise :class:`JobInterrupted` if the job was stopped (read at most every N s)."""
        worker_name = self._rocketjob_checkpoint_worker
        if worker_name is None:
            return
        now = time.monotonic()
        if now < self._rocketjob_checkpoint_next:
            return
        self._rocketjob_checkpoint_next = now + float(self.checkpoint_seconds)
        stored = self._get_collection().find_one(  # type: ignore[attr-defined]
            queries.by_id(self.pk), {"state": 1, "worker_name": 1}
        )
        if stored is None:
            raise JobInterrupted(self, None)
        if stored.get("state") != "running" or stored.get("worker_name") != worker_name:
            raise JobInterrupted(self, stored.get("state"))

    #: Ruby-style name; the same check.
    rocketjob_checkpoint = checkpoint

    def rocketjob_checkpoint_start(self, worker_name: str | None) -> None:
        """Arm (a worker name) or disarm (None) the checkpoint; the first call reads."""
        self._rocketjob_checkpoint_worker = worker_name
        self._rocketjob_checkpoint_next = 0.0

    def rocketjob_time_limit_seconds(self) -> float | None:
        """The time limit the worker enforces on ``perform`` (batch jobs: none)."""
        limit = getattr(self, "time_limit", None)
        return float(limit) if limit else None

    def rocketjob_stops_when_paused(self) -> bool:
        """Whether a pause of the running job takes effect (batch jobs override: True)."""
        return bool(self.checkpoints)

    def pause(self) -> None:
        """queued -> paused, or running -> paused when pausable and it calls checkpoints."""
        if self.state == "running" and self.pausable and not self.rocketjob_stops_when_paused():
            raise JobNotInterruptibleError(self, self.state)
        super().pause()  # type: ignore[misc]

    def rocketjob_release_paused(self, worker_name: str) -> bool:
        """After a checkpoint saw a pause: give the job up so ``resume`` re-queues it."""
        return release_paused(self._get_collection(), self.pk, worker_name)  # type: ignore[attr-defined]


def release_paused(collection: Any, job_id: Any, worker_name: str) -> bool:
    """Unset the worker of a paused plain job it held: ``resume`` then re-queues the job
    (``has_started`` is false) instead of moving it to running under a worker that let go."""
    result = collection.update_one(
        queries.matching(job_id, {"state": "paused", "worker_name": worker_name}),
        {"$unset": {"worker_name": "", "started_at": ""}},
    )
    return bool(result.modified_count)
