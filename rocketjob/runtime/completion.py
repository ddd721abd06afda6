"""Finishing a job whose completion (or failure) could not be written: the database was down.

``job.rocketjob_work`` performs the job and then writes ``complete`` (or ``fail``). If the
database disappears at that moment a ``PyMongoError`` escapes, and the job would stay
``running`` under a live server: never re-queued (the server is alive) and never finished.
The worker instead keeps the job and, once the database answers, finishes exactly what was
left, without running ``perform`` again:

* the transition was applied in memory but not saved: save it (with the same
  ``state=running, worker_name=<this worker>`` precondition) and run the after-callbacks;
* it was saved but the after-work (destroy on complete) failed: redo that work;
* perform finished but the transition never started: fire it again;
* perform never ran (a start callback failed): put the job back in the queue.

The last two are the job's ``rocketjob_finish_after_outage`` (batch jobs override it).

If someone else changed the job meanwhile (re-queued it as a zombie's, aborted it), that
change wins, as with any other state conflict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from rocketjob.exceptions import StateConflictError

logger = logging.getLogger(__name__)
FINAL_EVENTS = {"completed": "complete", "failed": "fail"}


@dataclass
class PerformOutcome:
    """What ``perform`` did, recorded by :func:`watch_perform`."""

    finished: bool = False
    error: BaseException | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def watch_perform(job: Any) -> PerformOutcome:
    """Wrap this job instance's ``rocketjob_run_perform`` to record its outcome."""
    outcome = PerformOutcome()
    original = job.rocketjob_run_perform

    def recorded() -> Any:
        try:
            result = original()
        except BaseException as exc:
            outcome.error = exc
            raise
        outcome.finished = True
        return result

    job.rocketjob_run_perform = recorded
    return outcome


def finish(job: Any, worker_name: str, server_name: str, outcome: PerformOutcome) -> str:
    """One attempt to finish ``job`` after a database error; returns what was done.

    Raises PyMongoError while the database is still down (the caller retries).
    """
    event = FINAL_EVENTS.get(job.state)
    precondition = {"worker_name": worker_name}
    if event is not None and job._get_changed_fields():
        target = job.state
        try:
            job.rocketjob_persist_transition(event, {"state": "running", **precondition})
        except StateConflictError as conflict:
            # The conflict reloaded the job; compare with the state we tried to write.
            if conflict.actual != target or job.worker_name != worker_name:
                logger.warning("not finished after outage: %s", conflict)
                return "conflict"
            # The first write reached the server but its answer was lost.
        job.rocketjob_after_transition(event)
        return f"saved {event}"
    if event is not None:
        job.rocketjob_after_persisted(event)
        logger.warning(
            "after-%s work was interrupted by a database error and redone; after callbacks "
            "may not have run",
            event,
            extra={"job_id": str(job.pk)},
        )
        return f"redid after-{event}"
    # What perform did decides the rest; a batch job (shared by many workers, its slices
    # recovered on their own) overrides this.
    done: str = job.rocketjob_finish_after_outage(worker_name, server_name, outcome)
    return done
