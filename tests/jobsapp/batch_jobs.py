"""Batch job classes shared by the batch tests and the worker processes they start."""

from __future__ import annotations

import time

import mongoengine as me

from rocketjob import Batch, Job, throttle
from rocketjob.batch import (
    InputCategory,
    LowerPriority,
    OutputCategory,
    Result,
    ThrottleWindows,
    batch_throttle,
)
from rocketjob.plugins.job.callbacks import after, around, before


class EchoBatchJob(Batch, Job):
    """Returns each record unchanged: output must equal input, in order."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=10)]
    output_categories = [OutputCategory()]
    sleep_seconds = me.FloatField(default=0.0)

    def perform(self, record: object) -> object:
        if self.sleep_seconds:
            time.sleep(self.sleep_seconds)
        return record


class UncompressedEchoJob(Batch, Job):
    """Echo with the ``none`` serializer both ways (what the benchmark measures)."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=1000, serializer="none")]
    output_categories = [OutputCategory(serializer="none")]

    def perform(self, record: object) -> object:
        return record


class CsvBatchJob(Batch, Job):
    """CSV in, CSV out: upper-cases the name and records the record number."""

    destroy_on_complete = False
    input_categories = [
        InputCategory(format="csv", slice_size=3, required_columns=["name", "amount"])
    ]
    output_categories = [
        OutputCategory(format="csv", columns=["record", "name", "amount"]),
        OutputCategory(name="rejects", format="json"),
    ]

    def perform(self, record: dict[str, str]) -> object:
        if not record["amount"].isdigit():
            return Result("rejects", {"record": self.record_number, **record})
        return {
            "record": self.record_number,
            "name": record["name"].upper(),
            **{"amount": int(record["amount"])},
        }


class StrictCsvJob(Batch, Job):
    """Accepts only the columns it knows."""

    destroy_on_complete = False
    input_categories = [
        InputCategory(format="csv", required_columns=["id"], allowed_columns=["id", "name"])
    ]

    def perform(self, record: dict[str, str]) -> None:
        return None


class FailingRecordJob(Batch, Job):
    """Raises on records listed in ``fail_on`` (until ``fixed``), recording every perform."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=5)]
    output_categories = [OutputCategory()]
    fail_on = me.ListField(me.IntField())
    fixed = me.BooleanField(default=False)

    def perform(self, record: int) -> int:
        from rocketjob.connection import jobs_db

        jobs_db()["test_batch_performs"].insert_one(
            {"job_id": str(self.pk), "record": record, "number": self.record_number}
        )
        if record in self.fail_on and not jobs_db()["test_batch_fixed"].find_one(
            {"job_id": str(self.pk)}
        ):
            raise ValueError(f"bad record {record}")
        return record * 10


class HookedBatchJob(Batch, Job):
    """Counts its hooks in ``test_batch_hooks`` so tests can check how often each ran."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=2)]
    output_categories = [OutputCategory(nils=True)]

    def _hit(self, name: str) -> None:
        from rocketjob.connection import jobs_db

        jobs_db()["test_batch_hooks"].insert_one({"job_id": str(self.pk), "hook": name})

    def before_batch(self) -> None:
        self._hit("before_batch")

    def after_batch(self) -> None:
        self._hit("after_batch")

    @before("slice")
    def note_slice(self) -> None:
        self._hit("before_slice")

    @around("slice")
    def wrap_slice(self, proceed: object) -> None:
        self._hit("around_slice")
        proceed()  # type: ignore[operator]

    @after("slice")
    def done_slice(self) -> None:
        self._hit("after_slice")

    def perform(self, record: str) -> str | None:
        self.statistics_inc("records")
        return None if record == "nil" else record


class RangeBatchJob(Batch, Job):
    """Each record is a [first, last] range; outputs the sum of the range."""

    destroy_on_complete = False
    output_categories = [OutputCategory(serializer="none")]

    def perform(self, record: list[int]) -> int:
        first, last = record
        step = 1 if last >= first else -1
        return sum(range(first, last + step, step))


class NoOutputBatchJob(Batch, Job):
    """No output category: results are dropped."""

    input_categories = [InputCategory(slice_size=50)]

    def perform(self, record: object) -> object:
        return record


class DictEchoJob(Batch, Job):
    """Dict records out to CSV with columns taken from the first record."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=2)]
    output_categories = [OutputCategory(format="csv")]

    def perform(self, record: dict[str, object]) -> dict[str, object]:
        return record


class RecordingBatchJob(Batch, Job):
    """Echo that records every perform with its worker, slowly enough to be killed mid-slice."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=10)]
    output_categories = [OutputCategory()]
    sleep_seconds = me.FloatField(default=0.02)

    def perform(self, record: object) -> object:
        from rocketjob.connection import jobs_db

        time.sleep(self.sleep_seconds)
        jobs_db()["test_batch_performs"].insert_one(
            {
                "job_id": str(self.pk),
                "record": self.record_number,
                "slice": self.rocketjob_slice.id if self.rocketjob_slice else None,
                "worker": self.worker_name_of_slice(),
            }
        )
        return record

    def worker_name_of_slice(self) -> str | None:
        return self.rocketjob_slice.worker_name if self.rocketjob_slice else None


class EncryptedBatchJob(Batch, Job):
    """Encrypted input, bz2 and encrypted-bz2 outputs (needs ROCKETJOB encryption_key)."""

    destroy_on_complete = False
    input_categories = [InputCategory(format="json", serializer="encrypt", slice_size=4)]
    output_categories = [
        OutputCategory(format="json", serializer="encrypted_bz2"),
        OutputCategory(name="plain", serializer="bz2"),
    ]

    def perform(self, record: dict[str, object]) -> list[Result]:
        return [Result("main", record), Result("plain", record["secret"])]


class ReportPathBatchJob(Batch, Job):
    """A batch job with a user-settable path (checked against the allow-list) and a field
    whose change needs the destroy permission."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=10)]
    report_path = me.StringField(user_editable=True, allowed_path=True)
    keep_days = me.IntField(user_editable=True, requires_permission="destroy_job")

    def perform(self, record: object) -> object:
        return record


class WindowedBatchJob(ThrottleWindows, Batch, Job):
    """Slices only inside its windows; the tests open and close them by editing the fields."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=5)]
    output_categories = [OutputCategory()]

    def perform(self, record: object) -> object:
        return record


class GatedBatchJob(Batch, Job):
    """A batch throttle (``gate_closed``) and a job throttle (``api_down``), both on join."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=5)]
    throttle_running_jobs = 1  # a start-time cap: never stops workers joining
    gate_closed = me.BooleanField(default=False, user_editable=True)
    api_down = me.BooleanField(default=False, user_editable=True)

    def perform(self, record: object) -> None:
        return None

    @batch_throttle
    def gate_is_closed(self) -> bool:
        return bool(self.gate_closed)

    @throttle(exclude="id")
    def api_is_down(self) -> bool:
        return bool(self.api_down)


class LegacyGatedBatchJob(GatedBatchJob):
    """Ruby's spelling: a method made a batch throttle with define_batch_throttle."""

    legacy_closed = me.BooleanField(default=False)
    legacy_broken = me.BooleanField(default=False)

    def legacy_gate(self) -> bool:
        if self.legacy_broken:
            raise RuntimeError("gate service unreachable")
        return bool(self.legacy_closed)


LegacyGatedBatchJob.define_batch_throttle("legacy_gate")


class BigBatchJob(LowerPriority, Batch, Job):
    """One priority step per 10 records; each record takes ``sleep_seconds``."""

    destroy_on_complete = False
    lower_priority_count = 10
    input_categories = [InputCategory(slice_size=2)]
    sleep_seconds = me.FloatField(default=0.0)

    def perform(self, record: object) -> None:
        time.sleep(self.sleep_seconds)
