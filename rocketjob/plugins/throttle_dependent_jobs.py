"""ThrottleDependentJobs: wait while jobs of other classes are running.

::

    from rocketjob import Job, ThrottleDependentJobs

    class ReportJob(ThrottleDependentJobs, Job):
        depends_on = ("ImportJob", "tests.jobs.CleanupJob")   # class names, paths or classes

        def perform(self): ...

A worker that claims a ``ReportJob`` while any ``ImportJob`` (or subclass) is running puts it
back in the queue with ``throttled_by = "dependent_jobs_running"`` and skips the class until
``re_check_seconds`` pass. ``dependent_jobs`` (a user-editable list field) adds class names per
job, e.g. from Mission Control or a Dirmon entry.
"""

from __future__ import annotations

from typing import Any, ClassVar

import mongoengine as me

from rocketjob import queries
from rocketjob.plugins.job.throttle import throttle


class ThrottleDependentJobs:
    """Holds the job while a job of any class in ``depends_on``/``dependent_jobs`` runs."""

    #: Job classes (or their names / dotted paths) this class waits for.
    depends_on: ClassVar[tuple[type | str, ...]] = ()

    dependent_jobs = me.ListField(me.StringField(), user_editable=True, copy_on_restart=True)

    pk: Any

    def rocketjob_dependent_class_names(self) -> list[str]:
        """Stored class names (``_cls``, subclasses included) of the classes depended on."""
        from rocketjob.document import registered_job_classes

        known = registered_job_classes()
        wanted = [*self.depends_on, *(self.dependent_jobs or [])]
        names: set[str] = set()
        for item in wanted:
            for stored, klass in known.items():
                dotted = f"{klass.__module__}.{klass.__qualname__}"
                if item is klass or item in (klass.__name__, stored, dotted):
                    names.update(getattr(klass, "_subclasses", (stored,)))
        return sorted(names)

    @throttle(exclude="class")
    def dependent_jobs_running(self) -> bool:
        """True while any job of a class this one depends on is running."""
        names = self.rocketjob_dependent_class_names()
        if not names:
            return False
        # One indexed read per class, not an $or of the classes: the embedded server's find
        # answers an $or by reading every job (rocketjob.queries, "No $and in hot reads"),
        # and this runs at every claim of such a job.
        collection = self._get_collection()  # type: ignore[attr-defined]
        others = {"_id": {"$ne": self.pk}}
        return any(
            collection.find_one(queries.running(queries.eq("_cls", name), others), {"_id": 1})
            is not None
            for name in names
        )
