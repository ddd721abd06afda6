"""How batch jobs change the job state machine (only through overrides).

* ``pause`` of a running job is allowed only while slices are processing: a pause during
  ``before_batch`` or ``after_batch`` would leave no worker to finish that step.
* ``retry`` re-queues the failed slices only; the job then resumes at its sub_state.
* ``requeue(server)`` re-queues that server's running slices. The job itself goes back to the
  queue only when it was in ``before``/``after`` (a single worker owned it); while slices are
  processing, other workers keep going.
* ``abort`` and destroying the job drop its slice collections; ``complete`` drops the input.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


class BatchStateMachine:
    """Overrides of :class:`~rocketjob.plugins.job.state_machine.StateMachineMixin` hooks."""

    sub_state: Any
    state: str
    pk: Any

    def is_pausable(self, **_: Any) -> bool:
        return self.state == "queued" or self.sub_state == "processing"

    def rocketjob_stops_when_paused(self) -> bool:
        return True  # workers re-read the state between slices

    def rocketjob_time_limit_seconds(self) -> float | None:
        return None  # many workers share a batch job: time limits apply to plain jobs

    def rocketjob_effect_complete(self, **kwargs: Any) -> None:
        super().rocketjob_effect_complete(**kwargs)  # type: ignore[misc]
        self.sub_state = None

    def rocketjob_restart_percent(self) -> int:
        """Completed slices stay completed on retry and requeue: recount them."""
        return int(self.batch_percent_complete())  # type: ignore[attr-defined]

    def rocketjob_effect_retry(self, **kwargs: Any) -> None:
        super().rocketjob_effect_retry(**kwargs)  # type: ignore[misc]
        if self.sub_state is None:
            self.sub_state = "before"

    def rocketjob_after_persisted(self, event: str) -> None:
        if event == "retry":
            requeued = self.input().requeue_failed()  # type: ignore[attr-defined]
            logger.info(
                "retry re-queued %s failed slices", requeued, extra={"job_id": str(self.pk)}
            )
        elif event == "abort":
            self.rocketjob_drop_slices()  # type: ignore[attr-defined]
        elif event == "complete":
            # Destroyed on completion (one conditional delete, not delete()): drop everything.
            destroyed = getattr(self, "rocketjob_destroyed", False)
            self.rocketjob_drop_slices(outputs=destroyed)  # type: ignore[attr-defined]
        super().rocketjob_after_persisted(event)  # type: ignore[misc]

    def rocketjob_requeue_slices(self, server_name: str) -> int:
        """Re-queue the running slices that workers of ``server_name`` held."""
        if self.pk is None:
            return 0
        count = 0
        for name in self.input_category_names():  # type: ignore[attr-defined]
            count += self.input(name).requeue_running(server_name)  # type: ignore[attr-defined]
        if count:
            logger.info(
                "re-queued %s slices of dead server %s",
                count,
                server_name,
                extra={"job_id": str(self.pk), "server_name": server_name},
            )
        return count

    def rocketjob_running_slices_of(self, server_name: str) -> list[tuple[str, int, str]]:
        """(category, slice id, worker name) of the slices ``server_name``'s workers run."""
        if self.pk is None:
            return []
        return [
            (name, slice_id, worker)
            for name in self.input_category_names()  # type: ignore[attr-defined]
            for slice_id, worker in self.input(name).running_under(server_name)  # type: ignore[attr-defined]
        ]

    def requeue(self, server_name: str) -> None:
        self.rocketjob_requeue_slices(server_name)
        if self.state != "running" or self.sub_state == "processing":
            return
        super().requeue(server_name)  # type: ignore[misc]

    def delete(self, *args: Any, **kwargs: Any) -> None:
        super().delete(*args, **kwargs)  # type: ignore[misc]
        self.rocketjob_drop_slices()  # type: ignore[attr-defined]


def requeue_dead_server_slices(job_class: Any, server_name: str) -> int:
    """Re-queue ``server_name``'s slices in every unfinished batch job.

    A batch job being processed by many servers has one ``worker_name`` (whoever started it),
    so looking at the job's owner is not enough to find a dead server's in-flight slices:
    every unfinished batch job's input is checked (one update per job; there are few).
    """
    from rocketjob.runtime.claim import claimable_classes, joinable_class_names

    names = joinable_class_names(claimable_classes(job_class))
    if not names:
        return 0
    # Slices are claimed only while processing; the job may since have been paused or failed.
    query = {
        "_cls": {"$in": names},
        "sub_state": "processing",
        "state": {"$in": ["running", "paused", "failed"]},
    }
    jobs = 0
    for raw in job_class._get_collection().find(query):
        if job_class._from_son(raw).rocketjob_requeue_slices(server_name):
            jobs += 1
    return jobs
