"""Loading the task a ``TaskJob`` names, without importing what the database says blindly.

``task_path`` is read from the jobs collection, which anyone with write access to the
database (or a bug) can change. Importing a module runs its top-level code, so the path is
checked *before* anything is imported: its module must already be loaded in this process,
lie inside an installed Django app's package, or inside a package listed in the
``task_modules`` setting. Only then is it imported, and only a Task object is returned.
The exception class path of a failed attempt, also read back from the database, gets the
same check before ``TaskError.exception_class`` imports it.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from django.core.exceptions import SuspiciousOperation

from rocketjob.tasks.compat import TaskError


def allowed_packages() -> list[str]:
    """Installed apps' packages and the ``task_modules`` setting (a list or commas)."""
    from django.apps import apps

    from rocketjob.conf import get_settings

    configured = get_settings().task_modules
    if isinstance(configured, str):
        configured = tuple(configured.split(","))
    extra = [name.strip() for name in configured if name.strip()]
    return [config.name for config in apps.get_app_configs()] + extra


def module_allowed(module_name: str) -> bool:
    if module_name in sys.modules:
        return True  # already imported by this process: loading it again runs nothing
    return any(
        module_name == package or module_name.startswith(f"{package}.")
        for package in allowed_packages()
    )


def load_task(task_path: str, job_label: str) -> Any:
    """The Task object at ``task_path``; SuspiciousOperation if the path is not allowed or
    does not name a Task. Nothing is imported before the path was checked."""
    from rocketjob.tasks.compat import Task

    module_name, _, attribute = str(task_path).rpartition(".")
    if not module_name or not attribute:
        raise SuspiciousOperation(f"{job_label} has an invalid task path {task_path!r}")
    if not module_allowed(module_name):
        raise SuspiciousOperation(
            f"{job_label} names a task in module {module_name!r}, which is not loaded, not in "
            "an installed app and not in ROCKETJOB['task_modules']: it was not imported"
        )
    module = importlib.import_module(module_name)
    target = getattr(module, attribute, None)
    if not isinstance(target, Task):
        raise SuspiciousOperation(f"{job_label} does not point to a Task ({task_path})")
    return target


class CheckedTaskError(TaskError):
    """A ``TaskError`` whose ``exception_class`` imports only from an allowed module."""

    @property
    def exception_class(self) -> type[BaseException]:
        module_name = str(self.exception_class_path).rpartition(".")[0]
        if not module_allowed(module_name):
            raise ValueError(
                f"{self.exception_class_path!r} was not imported: its module is not loaded, "
                "not in an installed app and not in ROCKETJOB['task_modules']"
            )
        return super().exception_class
