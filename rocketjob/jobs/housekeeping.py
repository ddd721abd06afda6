"""HousekeepingJob: removes old finished jobs and zombie servers, every 15 minutes.

::

    from rocketjob.jobs import HousekeepingJob

    HousekeepingJob.create()                                  # defaults below
    HousekeepingJob.create(failed_retention=30 * 86400, queued_retention=90 * 86400)

Retention is in seconds per state; ``0`` keeps jobs of that state forever.

============  ==========  ===============================
state         default     measured from
============  ==========  ===============================
completed     7 days      ``completed_at``
aborted       7 days      ``completed_at``
failed        14 days     ``completed_at`` (time of failure)
paused        off         ``completed_at`` (time of pause)
queued        off         ``created_at``
============  ==========  ===============================

With ``destroy_zombies`` (default on) it also removes servers that stopped sending heartbeats
and re-queues their jobs. Each old job is deleted through ``job.delete()``, so plugins can
clean up after it (a batch job drops its slice collections).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import mongoengine as me

from rocketjob import queries
from rocketjob.exceptions import UnknownJobClassError
from rocketjob.job import Job
from rocketjob.plugins.cron import Cron
from rocketjob.plugins.job.model import utc_now

DAY = 24 * 3600
#: The date field each retention is measured from.
RETENTION_DATE_FIELD = {
    "completed": "completed_at",
    "aborted": "completed_at",
    "failed": "completed_at",
    "paused": "completed_at",
    "queued": "created_at",
}


def _retention(default: int | None) -> me.IntField:
    return me.IntField(default=default, min_value=0, user_editable=True, copy_on_restart=True)


class HousekeepingJob(Cron, Job):
    """Deletes jobs past their state's retention and destroys zombie servers."""

    cron_schedule = "*/15 * * * * UTC"
    priority = 25
    description = "housekeeping"

    completed_retention = _retention(7 * DAY)
    aborted_retention = _retention(7 * DAY)
    failed_retention = _retention(14 * DAY)
    paused_retention = _retention(None)
    queued_retention = _retention(None)
    destroy_zombies = me.BooleanField(default=True, user_editable=True, copy_on_restart=True)

    def perform(self) -> dict[str, Any]:
        removed = {state: self.rocketjob_purge(state) for state in RETENTION_DATE_FIELD}
        zombies = self.rocketjob_destroy_zombies() if self.destroy_zombies else 0
        self.logger.info(
            "housekeeping done", extra={"removed_jobs": removed, "zombie_servers": zombies}
        )
        return {"removed": removed, "zombies": zombies}

    def rocketjob_purge(self, state: str) -> int:
        """Delete jobs in ``state`` older than its retention; returns how many."""
        retention = getattr(self, f"{state}_retention")
        if not retention:
            return 0
        cutoff = utc_now() - timedelta(seconds=retention)
        date_field = RETENTION_DATE_FIELD[state]
        collection = Job._get_collection()
        query = queries.all_of(queries.eq("state", state), {date_field: {"$lte": cutoff}})
        removed = 0
        for raw in collection.find(query, {"_id": 1}):
            if raw["_id"] == self.pk:
                continue
            removed += _delete(collection, raw["_id"], state)
        return removed

    @staticmethod
    def rocketjob_destroy_zombies() -> int:
        from rocketjob.runtime.server import Server

        return int(Server.destroy_zombies())


def _delete(collection: Any, job_id: Any, state: str) -> int:
    """Delete one job through its class (so cleanup hooks run); raw if the class is unknown."""
    try:
        job = Job.load(job_id)
    except Job.DoesNotExist:
        return 0
    except UnknownJobClassError:
        return int(Job.destroy_if_in_state(job_id, state))
    if job.state != state:
        return 0  # it changed meanwhile (e.g. retried)
    job.delete()
    return 1
