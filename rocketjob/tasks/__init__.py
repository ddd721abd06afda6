"""Django Tasks integration: ``rocketjob.tasks.RocketJobBackend`` (see docs/django-tasks.md).

Needs Django 6 (``django.tasks``) or, on Django 5.2, the ``django-tasks`` backport
(``pip install django-rocketjob[tasks]``).
"""

from __future__ import annotations

from typing import Any

from rocketjob.tasks.backend import RocketJobBackend, rocketjob_priority
from rocketjob.tasks.job import TaskJob

__all__ = ["RocketJobBackend", "TaskJob", "queue_filter", "rocketjob_priority"]


def queue_filter(*queue_names: str, include_other_jobs: bool = False) -> dict[str, Any]:
    """A worker where-filter (``ROCKETJOB["where_filter"]``) that runs only these queues.

    With ``include_other_jobs`` the worker also runs every job that is not a task.
    """
    if not queue_names:
        raise ValueError("queue_filter needs at least one queue name")
    queues: dict[str, Any] = {"queue_name": {"$in": list(queue_names)}}
    if include_other_jobs:
        return {"$or": [queues, {"queue_name": {"$exists": False}}]}
    return queues
