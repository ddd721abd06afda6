"""Job actions: which are offered, who may use them, and how they are applied safely.

Every action names the state the operator saw (``expected_state``). It is applied only if the
job is still in that state, and state changes go through the job's own events, which persist
with an atomic ``find_one_and_update`` on the source state. A job that changed meanwhile is
left exactly as it is and the operator gets a message saying what happened instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mission_control.jobs_data import JobRow
from rocketjob.exceptions import InvalidTransitionError, RocketJobError, StateConflictError
from rocketjob.job import Job
from rocketjob.plugins.job.model import as_utc

logger = logging.getLogger(__name__)

MANAGE = "mission_control.manage_job"
DESTROY = "mission_control.destroy_job"


@dataclass(frozen=True)
class JobAction:
    name: str
    label: str
    permission: str
    #: Past tense for messages ("retried").
    done: str
    #: Ask for confirmation before a single-job POST (bulk actions always confirm).
    confirm: bool = False

    def allowed(self, row: JobRow) -> bool:
        """Whether the action applies to the job in its current state."""
        if self.name == "destroy":
            return row.raw.get("state") != "running"
        if not row.loadable:
            return False
        job = row.job
        if self.name == "run_now":
            return job.state == "queued" and as_utc(job.run_at) is not None
        return bool(job.may(self.name))


ACTIONS: dict[str, JobAction] = {
    action.name: action
    for action in (
        JobAction("run_now", "Run now", MANAGE, "scheduled to run now"),
        JobAction("pause", "Pause", MANAGE, "paused"),
        JobAction("resume", "Resume", MANAGE, "resumed"),
        JobAction("retry", "Retry", MANAGE, "retried"),
        JobAction("fail", "Fail", MANAGE, "failed", confirm=True),
        JobAction("abort", "Abort", MANAGE, "aborted", confirm=True),
        JobAction("destroy", "Destroy", DESTROY, "destroyed", confirm=True),
    )
}


def permitted_actions(user: Any) -> list[JobAction]:
    return [a for a in ACTIONS.values() if user.has_perm(a.permission)]


def available_actions(user: Any, row: JobRow) -> list[JobAction]:
    """The buttons to show: allowed now and permitted to this user."""
    return [a for a in permitted_actions(user) if a.allowed(row)]


@dataclass
class Outcome:
    ok: bool
    message: str


def apply_action(action: JobAction, job_id: str, expected_state: str | None) -> Outcome:
    """Apply ``action`` to one job; never raises for a job that changed or vanished."""
    from mission_control.jobs_data import load_row

    row = load_row(job_id)
    if row is None:
        return Outcome(False, f"Job {job_id} no longer exists.")
    label = f"{row.class_name} {row.id}"
    state = row.raw.get("state")
    if expected_state and state != expected_state:
        return Outcome(
            False,
            f"{label} was not {action.done}: it changed from {expected_state} to {state} "
            "meanwhile. Nothing was changed; check it and try again.",
        )
    if not action.allowed(row):
        return Outcome(False, f"{label} cannot be {action.done} while it is {state}.")
    try:
        if action.name == "destroy":
            return _destroy(row, label)
        if action.name == "run_now":
            row.job.run_now()
        else:
            getattr(row.job, action.name)()
    except (InvalidTransitionError, StateConflictError) as exc:
        return Outcome(False, f"{label} was not {action.done}: {exc}")
    except RocketJobError as exc:
        logger.warning("mission control action failed", extra={"job_id": row.id, "error": str(exc)})
        return Outcome(False, f"{label} was not {action.done}: {exc}")
    logger.info("job %s by mission control", action.done, extra={"job_id": row.id})
    return Outcome(True, f"{label} {action.done}.")


def _destroy(row: JobRow, label: str) -> Outcome:
    """Delete only if the job is still in the state the operator saw (atomic), then let the
    job class clean up after itself (a batch job drops its slice collections)."""
    if not Job.destroy_if_in_state(row.raw["_id"], row.raw.get("state")):
        return Outcome(False, f"{label} was not destroyed: it changed state or vanished meanwhile.")
    if row.job is not None:
        row.job.delete()  # the document is gone; this runs the class's own clean-up
    logger.info("job destroyed by mission control", extra={"job_id": row.id})
    return Outcome(True, f"{label} destroyed.")
