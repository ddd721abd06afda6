"""A record that raises fails only its slice; retry re-runs failed slices only, resuming at
the failing record, and the output still has every record exactly once, in order."""

from __future__ import annotations

import io

import pytest

from rocketjob import ClaimFilter
from rocketjob.batch import worker as batch_worker
from rocketjob.connection import jobs_db
from tests.claiming import next_claimed_job
from tests.integration.batch_support import job_state, work_until
from tests.jobsapp.batch_jobs import FailingRecordJob, HookedBatchJob


def performs(job: FailingRecordJob) -> list[int]:
    rows = jobs_db()["test_batch_performs"].find({"job_id": str(job.pk)})
    return sorted(row["record"] for row in rows)


def test_failing_record_fails_its_slice_with_the_record_number_then_the_job() -> None:
    job = FailingRecordJob.create_from_upload(list(range(1, 21)), fail_on=[8, 17])  # 4 slices
    work_until(lambda: job_state(job) == "failed", workers=2)
    assert (
        job.exception.message == "2 slices failed to process; retry the job to process them again"
    )
    assert job.exception.class_name.endswith("BatchSlicesFailedError")
    assert job.sub_state == "processing"
    failed = list(job.input().failed())
    assert [(s["_id"], s["exception"]["record_number"]) for s in failed] == [(6, 8), (16, 17)]
    assert failed[0]["exception"]["message"] == "bad record 8"
    assert failed[0]["exception"]["class_name"] == "ValueError"
    assert failed[0]["processing_record_number"] == 2  # records 6 and 7 are done
    assert failed[0]["failure_count"] == 1
    assert job.input().counts_by_state() == {
        "queued": 0,
        "running": 0,
        "completed": 0,
        "failed": 2,
    }
    # Records after a failing one in the same slice were not reached.
    assert performs(job) == [n for n in range(1, 21) if n not in (9, 10, 18, 19, 20)]


def test_retry_requeues_failed_slices_only_and_resumes_at_the_failing_record() -> None:
    job = FailingRecordJob.create_from_upload(list(range(1, 21)), fail_on=[8])
    work_until(lambda: job_state(job) == "failed", workers=2)
    jobs_db()["test_batch_fixed"].insert_one({"job_id": str(job.pk)})
    job.retry()
    assert job.input().counts_by_state()["queued"] == 1
    work_until(lambda: job_state(job) == "completed", workers=2)
    # Records 6 and 7 were not performed again; 8 was performed twice (failed, then fixed).
    expected = sorted([*range(1, 21), 8])
    assert performs(job) == expected
    out = io.StringIO()
    assert job.download(out) == 20
    assert out.getvalue().splitlines() == [str(n * 10) for n in range(1, 21)]


def test_failing_before_batch_fails_the_job_and_retry_runs_it_again() -> None:
    class Flaky(HookedBatchJob):
        attempts = 0

        def before_batch(self) -> None:
            type(self).attempts += 1
            if type(self).attempts == 1:
                raise RuntimeError("not ready")

    job = Flaky.create_from_upload(["x"])
    work_until(lambda: job_state(job) == "failed")
    assert job.sub_state == "before"
    assert job.exception.message == "not ready"
    job.retry()
    work_until(lambda: job_state(job) == "completed")
    assert Flaky.attempts == 2


def test_failing_after_batch_fails_the_job_and_retry_runs_only_after_batch() -> None:
    class FlakyAfter(HookedBatchJob):
        attempts = 0

        def after_batch(self) -> None:
            type(self).attempts += 1
            if type(self).attempts == 1:
                raise RuntimeError("report failed")

    job = FlakyAfter.create_from_upload(["x", "y", "z"])
    work_until(lambda: job_state(job) == "failed")
    assert (job.sub_state, job.exception.message) == ("after", "report failed")
    job.retry()
    work_until(lambda: job_state(job) == "completed")
    hooks = [h["hook"] for h in jobs_db()["test_batch_hooks"].find({"job_id": str(job.pk)})]
    assert hooks.count("before_batch") == 1
    assert hooks.count("before_slice") == 2
    assert FlakyAfter.attempts == 2


def test_a_state_change_elsewhere_stops_the_worker_between_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batch_worker, "STATE_CHECK_SECONDS", 0.0)
    job = FailingRecordJob.create_from_upload(list(range(1, 21)))  # 4 slices
    worker = next_claimed_job(FailingRecordJob, "h:1:0", ClaimFilter())
    worker.rocketjob_batch_before("h:1:0")
    job.reload()
    job.pause()
    worker.rocketjob_process_slices("h:1:0", lambda: False)
    # The worker finished the slice it had, saw the pause, and left the rest queued.
    counts = job.input().counts_by_state()
    assert (counts["queued"], counts["running"]) == (3, 0)
    assert job_state(job) == "paused"
    assert next_claimed_job(FailingRecordJob, "h:1:1", ClaimFilter()) is None
    job.resume()
    assert job_state(job) == "running"
    work_until(lambda: job_state(job) == "completed")
    assert performs(job) == list(range(1, 21))


def test_a_database_error_mid_slice_is_released_by_the_workers_next_claim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pymongo.errors import AutoReconnect

    from rocketjob.sliced.slices import Slices

    job = FailingRecordJob.create_from_upload(list(range(1, 11)))  # 2 slices
    worker = next_claimed_job(FailingRecordJob, "h:1:0", ClaimFilter())
    worker.rocketjob_batch_before("h:1:0")
    original = Slices.write_output

    def down(self: Slices, slice_id: int, records: list[object]) -> None:
        raise AutoReconnect("connection refused")

    monkeypatch.setattr(Slices, "write_output", down)
    worker.rocketjob_process_slices("h:1:0", lambda: False)  # logged, not raised
    held = job.input().collection.find_one({"state": "running"})
    assert held["worker_name"] == "h:1:0"
    assert job.input().counts_by_state()["failed"] == 0  # not the record's fault
    monkeypatch.setattr(Slices, "write_output", original)
    # Another server's requeue would not touch it (this server is alive); the worker's own
    # next claim gives it back.
    next_claimed_job(FailingRecordJob, "h:1:0", ClaimFilter())
    released = job.input().collection.find_one({"_id": held["_id"]})
    assert released["state"] == "queued" and "worker_name" not in released
    work_until(lambda: job_state(job) == "completed")
    out = io.StringIO()
    job.download(out)
    assert out.getvalue().splitlines() == [str(n * 10) for n in range(1, 11)]


def test_output_that_cannot_be_stored_fails_the_slice_to_be_redone_whole() -> None:
    from decimal import Decimal

    from tests.jobsapp.batch_jobs import EchoBatchJob

    class DecimalJob(EchoBatchJob):
        def perform(self, record: object) -> object:
            return Decimal(str(record)) if record == "3" else record

    job = DecimalJob.create_from_upload(["1", "2", "3", "4"])
    work_until(lambda: job_state(job) == "failed")
    (failed,) = job.input().failed()
    assert failed["processing_record_number"] == 0
    assert (
        "record_number" not in failed["exception"] or failed["exception"]["record_number"] is None
    )
    assert "cannot encode object" in failed["exception"]["message"]


def test_records_that_cannot_be_stored_are_an_upload_error() -> None:
    from decimal import Decimal

    from rocketjob.batch import UploadError
    from tests.jobsapp.batch_jobs import EchoBatchJob

    job = EchoBatchJob.build()
    with pytest.raises(
        UploadError, match=r"record 12 cannot be stored: .*cannot encode object: Decimal"
    ):
        job.upload([*range(11), Decimal("1.5")])
    assert job.record_count is None
