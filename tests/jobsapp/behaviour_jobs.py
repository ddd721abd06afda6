"""Job classes for the issue-11 behaviour tests (async perform, raising throttles, cron +
singleton, progress on requeue); also loaded by the worker processes those tests start."""

from __future__ import annotations

import asyncio

import mongoengine as me

from rocketjob import Cron, Job, Singleton, throttle
from rocketjob.batch import Batch, InputCategory, OutputCategory

EFFECTS = "behaviour_effects"

__all__ = [
    "EFFECTS",
    "AsyncBatchJob",
    "AsyncFailingJob",
    "AsyncRecordJob",
    "CronSingletonRunJob",
    "ProgressJob",
    "RaisingThrottleJob",
    "effects",
    "record_effect",
]


def record_effect(kind: str, job: Job, **extra: object) -> None:
    """Write one side-effect document, so a test can count what really ran."""
    from rocketjob.connection import jobs_db

    jobs_db()[EFFECTS].insert_one({"kind": kind, "job_id": str(job.pk), **extra})


def effects(kind: str, job_id: object | None = None) -> int:
    from rocketjob.connection import jobs_db

    query: dict[str, object] = {"kind": kind}
    if job_id is not None:
        query["job_id"] = str(job_id)
    return jobs_db()[EFFECTS].count_documents(query)


class AsyncRecordJob(Job):
    """``async def perform`` that awaits before and after its side effect."""

    destroy_on_complete = False
    label = me.StringField(default="")

    async def perform(self) -> str:
        await asyncio.sleep(0.01)
        record_effect("async", self, label=self.label)
        await asyncio.sleep(0)
        return self.label


class AsyncFailingJob(Job):
    destroy_on_complete = False

    async def perform(self) -> None:
        await asyncio.sleep(0)
        raise ValueError("async perform failed on purpose")


class AsyncBatchJob(Batch, Job):
    """``async def perform(record)``: each slice's records run on one event loop."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=2)]
    output_categories = [OutputCategory()]

    async def perform(self, record: str) -> str:
        await asyncio.sleep(0)
        if record == "boom":
            raise ValueError("async record failed on purpose")
        return record.upper()


class RaisingThrottleJob(Job):
    """A custom throttle that raises instead of answering."""

    destroy_on_complete = False

    @throttle(exclude="class")
    def quota_service_down(self) -> bool:
        raise ConnectionError("quota service unreachable")

    def perform(self) -> None:
        record_effect("throttled_perform", self)


class RefusedQueryThrottleJob(Job):
    """A custom throttle whose own query the database refuses (OperationFailure):
    the database answered, so this is the throttle's error, not an outage."""

    destroy_on_complete = False

    @throttle(exclude="class")
    def quota_query_refused(self) -> bool:
        return bool(list(self._get_collection().aggregate([{"$rocketjobNoSuchStage": {}}])))

    def perform(self) -> None:
        record_effect("throttled_perform", self)


class UnstorableResultJob(Job):
    """Its perform sets a field to a value MongoDB cannot store, so its completion fails."""

    destroy_on_complete = False
    answer = me.IntField()

    def perform(self) -> None:
        record_effect("unstorable_perform", self)
        self.answer = 2**63


class CronSingletonRunJob(Cron, Singleton, Job):
    """The combination docs/plugins.md shows: scheduled, and never two at once."""

    destroy_on_complete = False
    cron_schedule = "0 3 * * *"

    def perform(self) -> None:
        record_effect("cron_singleton", self)


class ProgressJob(Job):
    """Reports progress as it goes (as a user's long job would)."""

    destroy_on_complete = False

    def perform(self) -> None:
        self.percent_complete = 60
        self.save()
        raise RuntimeError("stopped at 60 %")
