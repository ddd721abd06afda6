"""``rocketjob.Job``: the base class of every job, composed only of plugins.

One document per job in the ``rocketjob_jobs`` collection; subclasses share it through
mongoengine inheritance (``_cls``). Subclass it, declare fields, implement ``perform``::

    class ReportJob(Job):
        priority = 30                      # class-level default of an inherited field
        report_date = me.DateTimeField(user_editable=True, copy_on_restart=True)

        def perform(self):
            build_report(self.report_date)

    ReportJob.create(report_date=date.today())
"""

from __future__ import annotations

import mongoengine as me

from rocketjob.document import JobMetaclass
from rocketjob.plugins.job.callbacks import CallbacksMixin
from rocketjob.plugins.job.helpers import HelpersMixin
from rocketjob.plugins.job.interrupt import InterruptMixin
from rocketjob.plugins.job.logger import LoggerMixin
from rocketjob.plugins.job.model import JobModel
from rocketjob.plugins.job.persistence import PersistenceMixin
from rocketjob.plugins.job.rate_limit import RateLimitMixin
from rocketjob.plugins.job.state_machine import StateMachineMixin
from rocketjob.plugins.job.throttle import ThrottleMixin
from rocketjob.plugins.job.tracing import TracingMixin
from rocketjob.plugins.job.worker import WorkerMixin
from rocketjob.queries import CLAIM_INDEX

JOBS_COLLECTION = "rocketjob_jobs"
CLAIM_INDEX_NAME = "rocketjob_claim"


class Job(
    WorkerMixin,
    HelpersMixin,
    ThrottleMixin,
    RateLimitMixin,
    InterruptMixin,
    StateMachineMixin,
    CallbacksMixin,
    LoggerMixin,
    TracingMixin,
    PersistenceMixin,
    JobModel,
    me.Document,
    metaclass=JobMetaclass,
):
    """A unit of work stored as one MongoDB document and run by a worker."""

    @classmethod
    def ensure_indexes(cls) -> None:
        """Create the indexes; an older claim index of the same name is replaced first.

        The claim index was ``(state, priority)``; MongoDB refuses to create an index under
        a name that another key already uses, so that one is dropped.
        """
        collection = cls._get_collection()
        current = collection.index_information().get(CLAIM_INDEX_NAME)
        wanted = [name for name, _ in CLAIM_INDEX]
        if current is not None and [name for name, _ in current["key"]] != wanted:
            collection.drop_index(CLAIM_INDEX_NAME)
        super().ensure_indexes()

    meta = {
        "collection": JOBS_COLLECTION,
        "db_alias": "rocketjob",
        "allow_inheritance": True,
        "index_cls": False,
        "auto_create_index": False,
        "indexes": [
            # The claim: state=queued sorted by priority, then oldest (rocketjob.queries).
            {"fields": ["state", "priority", "created_at"], "name": CLAIM_INDEX_NAME},
            {"fields": ["completed_at"], "name": "rocketjob_completed_at"},
            {"fields": ["_cls"], "name": "rocketjob_class"},
        ],
    }
