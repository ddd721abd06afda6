"""django-rocketjob: Rocket Job for Django on MongoDB.

The public API, grouped::

    from rocketjob import Job, before, after, around, throttle
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "ClaimFilter",
    "ConfigurationError",
    "Cron",  # plugins: Cron ... Transaction
    "DuplicateJobError",
    "InvalidTransitionError",
    # Jobs
    "Job",
    "JobException",
    "JobValidationError",
    "ProcessingWindow",
    "Retry",
    # Errors
    "RocketJobError",
    "Singleton",
    "StateConflictError",
    "ThrottleDependentJobs",
    "Transaction",
    "Unique",
    "UnknownJobClassError",
    "UnknownJobFieldError",
    "__version__",
    # Callbacks and throttles
    "after",
    "around",
    "before",
    "throttle",
]

# Job classes are mongoengine documents; importing them needs Django settings to be loadable
# only when they are used, so resolve the names lazily (like django.contrib modules do).
_LAZY = {
    "Job": "rocketjob.job",
    "Batch": "rocketjob.batch",
    "JobException": "rocketjob.plugins.job.model",
    "ClaimFilter": "rocketjob.runtime.claim_filter",
    "before": "rocketjob.plugins.job.callbacks",
    "after": "rocketjob.plugins.job.callbacks",
    "around": "rocketjob.plugins.job.callbacks",
    "throttle": "rocketjob.plugins.job.throttle",
    "RocketJobError": "rocketjob.exceptions",
    "ConfigurationError": "rocketjob.exceptions",
    "InvalidTransitionError": "rocketjob.exceptions",
    "JobValidationError": "rocketjob.exceptions",
    "StateConflictError": "rocketjob.exceptions",
    "UnknownJobClassError": "rocketjob.exceptions",
    "UnknownJobFieldError": "rocketjob.exceptions",
    "Cron": "rocketjob.plugins.cron",
    "DuplicateJobError": "rocketjob.plugins.exclusive",
    "ProcessingWindow": "rocketjob.plugins.processing_window",
    "Retry": "rocketjob.plugins.retry",
    "Singleton": "rocketjob.plugins.singleton",
    "ThrottleDependentJobs": "rocketjob.plugins.throttle_dependent_jobs",
    "Transaction": "rocketjob.plugins.transaction",
    "Unique": "rocketjob.plugins.unique",
}

if TYPE_CHECKING:
    from rocketjob.batch import Batch
    from rocketjob.exceptions import (
        ConfigurationError,
        InvalidTransitionError,
        JobValidationError,
        RocketJobError,
        StateConflictError,
        UnknownJobClassError,
        UnknownJobFieldError,
    )
    from rocketjob.job import Job
    from rocketjob.plugins.cron import Cron
    from rocketjob.plugins.exclusive import DuplicateJobError
    from rocketjob.plugins.job.callbacks import after, around, before
    from rocketjob.plugins.job.model import JobException
    from rocketjob.plugins.job.throttle import throttle
    from rocketjob.plugins.processing_window import ProcessingWindow
    from rocketjob.plugins.retry import Retry
    from rocketjob.plugins.singleton import Singleton
    from rocketjob.plugins.throttle_dependent_jobs import ThrottleDependentJobs
    from rocketjob.plugins.transaction import Transaction
    from rocketjob.plugins.unique import Unique
    from rocketjob.runtime.claim_filter import ClaimFilter


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'rocketjob' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
