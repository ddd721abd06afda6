"""Built-in jobs: housekeeping, directory monitoring, file uploads and on-demand callables.

Django's app loading imports this module in every process (``autodiscover_modules("jobs")``),
so every worker knows these classes, and the Django Tasks job class when it can be imported.
"""

from __future__ import annotations

import contextlib

from rocketjob.jobs.dirmon import DirmonJob
from rocketjob.jobs.dirmon_entry import DirmonEntry, DirmonPathError
from rocketjob.jobs.housekeeping import HousekeepingJob
from rocketjob.jobs.on_demand import (
    OnDemandJob,
    UnknownCallableError,
    on_demand,
    registered_callables,
)
from rocketjob.jobs.upload_file import UploadFileError, UploadFileJob
from rocketjob.perf.jobs import PerformanceJob, SimpleJob  # noqa: F401 (manage.py rocketjob_perf)

# Registers TaskJob so workers can run Django Tasks (needs django.tasks or the backport).
with contextlib.suppress(ImportError):
    import rocketjob.tasks.job  # noqa: F401

__all__ = [
    "DirmonEntry",
    "DirmonJob",
    "DirmonPathError",
    "HousekeepingJob",
    "OnDemandJob",
    "UnknownCallableError",
    "UploadFileError",
    "UploadFileJob",
    "on_demand",
    "registered_callables",
]
