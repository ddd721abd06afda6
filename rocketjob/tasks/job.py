"""``TaskJob``: one Django Tasks task stored and run as a Rocket Job job.

The job keeps what the Tasks API needs to rebuild a ``TaskResult`` from any process: the
task's import path, its JSON arguments, the queue, the return value, each attempt's error
(exception class path and traceback) and the worker names that ran it.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from typing import Any

import mongoengine as me
from django.utils.module_loading import import_string

from rocketjob.job import Job
from rocketjob.plugins.job.callbacks import after, before

logger = logging.getLogger(__name__)


class TaskExitError(Exception):
    """A task raised a BaseException (``SystemExit``...): it fails like any other error."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"{type(original).__name__}: {original}")
        self.original = original


class TaskErrorRecord(me.EmbeddedDocument):
    """One failed attempt, as ``TaskError`` exposes it."""

    exception_class_path = me.StringField(required=True)
    traceback = me.StringField(default="")


class TaskJob(Job):
    """Runs ``task_path(*task_args, **task_kwargs)``; results stay until housekeeping."""

    destroy_on_complete = False

    task_path = me.StringField(required=True)
    task_args = me.ListField()
    task_kwargs = me.DictField()
    queue_name = me.StringField(default="default")
    backend_alias = me.StringField(default="default")
    takes_context = me.BooleanField(default=False)
    task_priority = me.IntField(default=0)
    return_value = me.DynamicField()
    task_errors = me.ListField(me.EmbeddedDocumentField(TaskErrorRecord))
    worker_ids = me.ListField(me.StringField())

    def rocketjob_task(self) -> Any:
        """The ``@task`` object at ``task_path``, as it was enqueued (queue, priority).

        Only Task objects are run: a job naming any other importable callable (written to the
        database by hand, say ``os.system``) is refused, so the collection cannot be used to
        run arbitrary functions on the workers.
        """
        from django.core.exceptions import SuspiciousOperation

        from rocketjob.tasks.compat import Task

        target = import_string(self.task_path)
        if not isinstance(target, Task):
            raise SuspiciousOperation(f"Task {self.pk} does not point to a Task ({self.task_path})")
        if (target.queue_name, target.priority) == (self.queue_name, self.task_priority):
            return target
        try:  # the task as it was enqueued (``task.using(...)``)
            return dataclasses.replace(
                target, queue_name=self.queue_name, priority=self.task_priority
            )
        except Exception:  # not valid for this process's backend: the declared task
            return target

    def perform(self) -> None:
        from rocketjob.tasks.compat import TaskContext
        from rocketjob.tasks.results import normalize

        task = self.rocketjob_task()
        args = list(self.task_args or [])
        kwargs = dict(self.task_kwargs or {})
        try:
            if self.takes_context:
                context = TaskContext(task_result=self.to_task_result(task))
                value = task.call(context, *args, **kwargs)
            else:
                value = task.call(*args, **kwargs)
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as exc:
            if isinstance(exc, Exception):
                raise
            # SystemExit and friends would end the worker thread; the task just failed.
            raise TaskExitError(exc) from exc
        self.return_value = normalize(value)

    def to_task_result(self, task: Any = None) -> Any:
        """This job as a Django Tasks ``TaskResult``."""
        from rocketjob.tasks.results import task_result_for

        return task_result_for(self, task or self.rocketjob_task())

    # -- bookkeeping that the Tasks API reads --------------------------------------------
    @before("start")
    def rocketjob_task_record_worker(self) -> None:
        self.worker_ids = [*(self.worker_ids or []), str(self.worker_name or "inline")]

    def rocketjob_effect_fail(
        self, exception: BaseException | None = None, worker_name: str | None = None, **kw: Any
    ) -> None:
        super().rocketjob_effect_fail(exception=exception, worker_name=worker_name, **kw)
        error = exception or RuntimeError("failed by a user")
        error = getattr(error, "original", error)
        klass = type(error)
        self.task_errors = [
            *(self.task_errors or []),
            TaskErrorRecord(
                exception_class_path=f"{klass.__module__}.{klass.__qualname__}",
                traceback="".join(traceback.format_exception(error)),
            ),
        ]

    @after("start")
    def rocketjob_task_started(self) -> None:
        self.rocketjob_task_signal("task_started")

    @after("complete")
    @after("fail")
    @after("abort")
    def rocketjob_task_finished(self) -> None:
        self.rocketjob_task_signal("task_finished")

    def rocketjob_task_signal(self, name: str) -> None:
        """Send a Tasks signal; a task that cannot be loaded here is logged, not raised (the
        job's own failure, if any, already records why)."""
        from rocketjob.tasks import compat

        signal = getattr(compat, name)
        try:
            # The sender is the backend's class, as the backend sends ``task_enqueued``
            # (looked up by alias: this module does not import the backend that imports it).
            sender = type(compat.task_backends[self.backend_alias])
            if not signal.has_listeners(sender):
                return
            result = self.to_task_result()
        except Exception as exc:
            logger.warning("task signal not sent: %s", exc, extra={"task_path": self.task_path})
            return
        signal.send(sender=sender, task_result=result)
