"""Job classes for the plugin and built-in job tests (imported by jobs.py for workers)."""

from __future__ import annotations

import mongoengine as me

from rocketjob import (
    Cron,
    Job,
    ProcessingWindow,
    Retry,
    Singleton,
    ThrottleDependentJobs,
    Transaction,
    Unique,
    throttle,
)
from rocketjob.batch import Batch, InputCategory
from rocketjob.jobs.on_demand import on_demand

__all__ = [
    "BlockerJob",
    "CronEndJob",
    "CronNoopJob",
    "DependentJob",
    "FileNoteJob",
    "GatedJob",
    "GroupCapJob",
    "GroupOtherJob",
    "LedgerBatchJob",
    "LedgerJob",
    "RetryFailingJob",
    "RetrySelectiveJob",
    "SingletonCronJob",
    "SingletonNoopJob",
    "UniqueImportJob",
    "UniqueMonthJob",
    "WindowJob",
    "work_next",
]


class SingletonNoopJob(Singleton, Job):
    destroy_on_complete = False
    note = me.StringField()

    def perform(self) -> None:
        return None


class CronNoopJob(Cron, Job):
    destroy_on_complete = False
    cron_schedule = "*/5 * * * *"
    note = me.StringField(user_editable=True, copy_on_restart=True)
    scratch = me.StringField()

    def perform(self) -> None:
        return None


class CronEndJob(Cron, Job):
    """Creates its next instance only when it completes, fails or is aborted."""

    destroy_on_complete = False
    cron_after_start = False
    cron_schedule = "0 2 * * * Europe/London"
    should_fail = me.BooleanField(default=False, copy_on_restart=True)

    def perform(self) -> None:
        if self.should_fail:
            raise RuntimeError("cron end job failed on purpose")


class SingletonCronJob(Singleton, Cron, Job):
    """Both exclusive rules on one class."""

    destroy_on_complete = False
    cron_schedule = "0 * * * *"

    def perform(self) -> None:
        return None


class UniqueImportJob(Unique, Job):
    """One live job per customer and file; a duplicate create raises."""

    destroy_on_complete = False
    unique_fields = ("customer_id", "file_name")
    customer_id = me.IntField()
    file_name = me.StringField()
    note = me.StringField()

    def perform(self) -> None:
        return None


class UniqueMonthJob(Unique, Job):
    """One live job per month of ``day`` (a key function); a duplicate create returns it."""

    destroy_on_complete = False
    unique_on_duplicate = "return_existing"
    day = me.StringField()  # YYYY-MM-DD

    def unique_key(self) -> str:
        return self.day[:7]

    def perform(self) -> None:
        return None


class RetryFailingJob(Retry, Job):
    destroy_on_complete = False
    retry_limit = 3

    def perform(self) -> None:
        raise ConnectionError("flaky service is down")


class RetrySelectiveJob(Retry, Job):
    """Retries connection problems only, never a ConnectionRefusedError; spreads retries."""

    destroy_on_complete = False
    retry_limit = 5
    retry_jitter = 0.5
    retry_on = (ConnectionError, TimeoutError)
    dont_retry_on = (ConnectionRefusedError,)
    raise_as = me.StringField(default="ConnectionResetError")

    def perform(self) -> None:
        import builtins

        raise getattr(builtins, self.raise_as)(f"raised {self.raise_as}")


class WindowJob(ProcessingWindow, Job):
    destroy_on_complete = False
    processing_schedule = "0 22 * * *"
    processing_duration = 3600

    def perform(self) -> None:
        return None


class LedgerJob(Transaction, Job):
    """Writes rows to a SQL table; raises after writing when ``fail_after`` is set."""

    destroy_on_complete = False
    amount = me.IntField(default=1)
    fail_after = me.BooleanField(default=False)

    def perform(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO plugin_ledger (amount) VALUES (%s)", [self.amount])
        if self.fail_after:
            raise RuntimeError("ledger failure after the insert")


class LedgerBatchJob(Transaction, Batch, Job):
    """Inserts one row per record; the record "fail" raises after its insert."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=2)]

    def perform(self, record: str) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO plugin_ledger (amount) VALUES (%s)", [len(record)])
        if record == "fail":
            raise RuntimeError("ledger record failed after its insert")


class BlockerJob(Job):
    destroy_on_complete = False

    def perform(self) -> None:
        return None


class DependentJob(ThrottleDependentJobs, Job):
    destroy_on_complete = False
    depends_on = ("BlockerJob",)

    def perform(self) -> None:
        return None


class GroupCapJob(Job):
    destroy_on_complete = False
    throttle_running_jobs = 1

    def perform(self) -> None:
        return None


class GroupOtherJob(Job):
    destroy_on_complete = False
    throttle_running_jobs = 1

    def perform(self) -> None:
        return None


class GatedJob(Job):
    """A user-defined throttle: holds while the gate document says closed."""

    destroy_on_complete = False

    @throttle(exclude="class")
    def gate_closed(self) -> bool:
        from rocketjob.connection import jobs_db

        gate = jobs_db()["test_gate"].find_one({"_id": "gate"})
        return bool(gate and gate.get("closed"))

    def perform(self) -> None:
        return None


class FileNoteJob(Job):
    """A non-batch job that receives a file path from Dirmon / UploadFileJob."""

    destroy_on_complete = False
    upload_file_name = me.StringField()
    original_file_name = me.StringField()
    label = me.StringField(user_editable=True)

    def perform(self) -> None:
        return None


def work_next(worker_name: str = "test-host:1:0", claim_filter: object = None) -> Job | None:
    """Claim and run the next job as a worker thread would; returns it (or None)."""
    from rocketjob import ClaimFilter
    from rocketjob.runtime.claim import next_job

    claimed = next_job(Job, worker_name, claim_filter or ClaimFilter())  # type: ignore[arg-type]
    if claimed is None:
        return None
    claimed.work(worker_name)
    return claimed.job


@on_demand("tests.add_numbers")
def add_numbers(a: int, b: int) -> int:
    return a + b


@on_demand()
def describe_job(job: Job, suffix: str = "") -> str:
    return f"{job.class_name}{suffix}"
