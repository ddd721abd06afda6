"""Building Django Tasks ``TaskResult`` objects from stored ``TaskJob`` documents."""

from __future__ import annotations

from typing import Any

from rocketjob.plugins.job.model import as_utc

#: Rocket Job state -> Django Tasks status name.
STATUS_BY_STATE = {
    "queued": "READY",
    "paused": "READY",
    "running": "RUNNING",
    "completed": "SUCCESSFUL",
    "failed": "FAILED",
    "aborted": "FAILED",
}


def normalize(value: Any) -> Any:
    """A return value or argument list as JSON-compatible data, as the Tasks API requires."""
    from rocketjob.tasks.compat import normalize_json

    return normalize_json(value)


def task_result_for(job: Any, task: Any) -> Any:
    from rocketjob.tasks.compat import TaskResult, TaskResultStatus
    from rocketjob.tasks.loading import CheckedTaskError

    status = _status(TaskResultStatus, STATUS_BY_STATE[job.state])
    finished = job.state in ("completed", "failed", "aborted")
    result = TaskResult(
        task=task,
        id=str(job.pk),
        status=status,
        enqueued_at=as_utc(job.created_at),
        started_at=as_utc(job.started_at),
        finished_at=as_utc(job.completed_at) if finished else None,
        last_attempted_at=as_utc(job.started_at),
        args=list(job.task_args or []),
        kwargs=dict(job.task_kwargs or {}),
        backend=job.backend_alias,
        errors=[
            CheckedTaskError(exception_class_path=e.exception_class_path, traceback=e.traceback)
            for e in job.task_errors or []
        ],
        worker_ids=list(job.worker_ids or []),
    )
    object.__setattr__(result, "_return_value", job.return_value)
    return result


def _status(statuses: Any, name: str) -> Any:
    """``SUCCESSFUL`` is named ``SUCCEEDED`` in newer django-tasks releases."""
    if name == "SUCCESSFUL" and not hasattr(statuses, name):
        name = "SUCCEEDED"
    return statuses[name]
