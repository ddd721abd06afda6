"""``RocketJobBackend``: a Django Tasks backend whose tasks are Rocket Job jobs.

::

    TASKS = {
        "default": {
            "BACKEND": "rocketjob.tasks.RocketJobBackend",
            "QUEUES": ["default", "emails"],
        }
    }

    @task(priority=10, queue_name="emails")
    def send_welcome(user_id: int) -> str: ...

    result = send_welcome.enqueue(42)                 # a TaskJob, queued
    send_welcome.get_result(result.id).status          # READY / RUNNING / SUCCESSFUL / FAILED

``manage.py rocketjob`` workers run the tasks. Priorities map onto Rocket Job's scale (Django
-100..100, higher first; Rocket Job 1..99, lower first), ``run_after`` becomes ``run_at``, and
a queue name is stored on the job so workers can be limited to queues with a where-filter
(:func:`rocketjob.tasks.queue_filter`).
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from rocketjob.tasks.compat import BaseTaskBackend, TaskResultDoesNotExist, task_enqueued
from rocketjob.tasks.job import TaskJob
from rocketjob.tasks.results import normalize


def rocketjob_priority(task_priority: int) -> int:
    """Django's -100..100 (higher runs first) onto Rocket Job's 1..99 (lower runs first)."""
    return max(1, min(99, round(50 - task_priority * 0.49)))


class RocketJobBackend(BaseTaskBackend):
    """Stores each enqueued task as a :class:`~rocketjob.tasks.job.TaskJob`."""

    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    supports_priority = True

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        self.validate_task(task)
        job = TaskJob.create(
            task_path=task.module_path,
            task_args=normalize(list(args)),
            task_kwargs=normalize(dict(kwargs)),
            queue_name=task.queue_name,
            backend_alias=self.alias,
            takes_context=task.takes_context,
            task_priority=task.priority,
            priority=rocketjob_priority(task.priority),
            run_at=task.run_after,
            description=f"task {task.module_path}",
        )
        result = job.to_task_result(task)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> Any:
        try:
            job = TaskJob.objects.get(pk=ObjectId(str(result_id)))
        except (InvalidId, TaskJob.DoesNotExist) as exc:
            raise TaskResultDoesNotExist(result_id) from exc
        try:
            return job.to_task_result()
        except ImportError as exc:
            raise TaskResultDoesNotExist(
                f"{result_id}: its task {job.task_path!r} cannot be imported here ({exc})"
            ) from exc
