"""Job classes for the Mission Control browser tests (also loaded by worker subprocesses)."""

from __future__ import annotations

import time

import mongoengine as me

from rocketjob import Batch, Job
from rocketjob.batch import InputCategory, OutputCategory


class FlakyJob(Job):
    """Fails its first ``fail_times`` runs, then succeeds: the retry-from-the-UI scenario."""

    destroy_on_complete = False
    fail_times = me.IntField(default=1)
    message = me.StringField(default="flaky failure")
    sleep_seconds = me.FloatField(default=0.0)

    def perform(self) -> None:
        if (self.failure_count or 0) < self.fail_times:
            raise RuntimeError(self.message)
        time.sleep(self.sleep_seconds)


class DatedReportJob(Job):
    """A job with a date of its own (shown under "Custom fields" on its page)."""

    destroy_on_complete = False
    report_day = me.DateTimeField()

    def perform(self) -> None:
        return None


class RecordCheckBatchJob(Batch, Job):
    """Upper-cases records; a record containing "bad" raises (with the record in the message)."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=3)]
    output_categories = [OutputCategory()]

    def perform(self, record: str) -> str:
        if "bad" in record:
            raise ValueError(f"invalid record: {record}")
        if "slow" in record:
            time.sleep(0.5)
        return record.upper()


__all__ = ["DatedReportJob", "FlakyJob", "RecordCheckBatchJob"]
