"""A batch job from upload to completion: sub_state, hooks, outputs, status."""

from __future__ import annotations

import io

import pytest

from rocketjob.connection import jobs_db, slices_db
from rocketjob.sliced.slices import collection_name
from tests.claiming import next_claimed_job
from tests.integration.batch_support import job_state, work_until
from tests.jobsapp.batch_jobs import (
    CsvBatchJob,
    EchoBatchJob,
    HookedBatchJob,
    NoOutputBatchJob,
    RangeBatchJob,
)


def collections() -> set[str]:
    return set(slices_db().list_collection_names())


def test_many_workers_produce_every_record_once_in_input_order() -> None:
    records = [f"record {i}" for i in range(1, 1001)]
    job = EchoBatchJob.create_from_upload(records)
    assert job.record_count == 1000
    assert job.slice_count == 100
    work_until(lambda: job_state(job) == "completed", workers=4)
    out = io.StringIO()
    assert job.download(out) == 1000
    assert out.getvalue().splitlines() == records
    assert job.percent_complete == 100
    assert job.sub_state is None
    # The input is dropped on completion (the embedded server may re-create it empty when a
    # late worker looks at it); the output stays for download.
    assert slices_db()[collection_name("input", job.pk)].count_documents({}) == 0
    assert collection_name("output", job.pk) in collections()


def test_sub_state_moves_through_before_processing_after() -> None:
    job = EchoBatchJob.create_from_upload(["a", "b"])
    claimed = next_claimed_job(EchoBatchJob, "h:1:0", _filter())
    assert claimed.pk == job.pk and claimed.sub_state is None
    claimed.rocketjob_batch_before("h:1:0")
    job.reload()
    assert (job.state, job.sub_state) == ("running", "processing")
    claimed.rocketjob_process_slices("h:1:0", lambda: False)
    job.reload()
    assert job.state == "completed" and job.sub_state is None


def test_hooks_run_once_and_slice_callbacks_once_per_slice() -> None:
    job = HookedBatchJob.create_from_upload(["a", "nil", "b", "c", "d"])  # 3 slices of 2
    work_until(lambda: job_state(job) == "completed", workers=3)
    hooks = [h["hook"] for h in jobs_db()["test_batch_hooks"].find({"job_id": str(job.pk)})]
    assert hooks.count("before_batch") == 1
    assert hooks.count("after_batch") == 1
    assert hooks.count("before_slice") == hooks.count("after_slice") == 3
    assert hooks.count("around_slice") == 3
    assert hooks[0] == "before_batch" and hooks[-1] == "after_batch"
    assert job.statistics == {"records": 5}
    out = io.StringIO()
    job.download(out)
    assert out.getvalue().splitlines() == ["a", "None", "b", "c", "d"]  # nils=True keeps None


def test_tabular_records_arrive_as_dicts_and_results_go_to_their_category() -> None:
    job = CsvBatchJob.create_from_upload(
        io.StringIO('Name,Amount\nann,10\nbob,ten\n"Lee, Jr",3\ncat,4\n')
    )
    assert job.input_columns == {"main": ["name", "amount"]}
    work_until(lambda: job_state(job) == "completed", workers=2)
    main, rejects = io.StringIO(), io.StringIO()
    assert job.download(main) == 3
    assert main.getvalue() == 'record,name,amount\n1,ANN,10\n3,"LEE, JR",3\n4,CAT,4\n'
    assert job.download(rejects, category="rejects") == 1
    assert rejects.getvalue() == '{"record": 2, "name": "bob", "amount": "ten"}\n'


def test_no_output_category_stores_no_output_and_destroy_drops_everything() -> None:
    job = NoOutputBatchJob.create_from_upload(range(1, 120))
    assert job.record_count == 3  # one [first, last] record per 50 integers
    job_id = job.pk
    work_until(lambda: NoOutputBatchJob.objects(pk=job_id).first() is None, workers=2)
    # (The embedded server re-creates an empty collection when a late worker queries it.)
    for kind in ("input", "output"):
        assert slices_db()[collection_name(kind, job_id)].count_documents({}) == 0


def test_destroy_on_complete_drops_the_output_too() -> None:
    class DestroyedEcho(EchoBatchJob):
        destroy_on_complete = True

    job = DestroyedEcho.create_from_upload(["a", "b", "c"])
    work_until(lambda: DestroyedEcho.objects(pk=job.pk).first() is None)
    assert collection_name("output", job.pk) not in collections()
    assert slices_db()[collection_name("input", job.pk)].count_documents({}) == 0


def test_destroy_and_abort_drop_the_slice_collections() -> None:
    job = EchoBatchJob.create_from_upload(["a", "b"])
    other = EchoBatchJob.create_from_upload(["c"])
    assert collection_name("input", job.pk) in collections()
    job.delete()
    other.abort()
    names = collections()
    for gone in (job, other):
        assert collection_name("input", gone.pk) not in names
        assert collection_name("output", gone.pk) not in names


def test_range_upload_gives_one_range_record_per_slice() -> None:
    job = RangeBatchJob.build()
    assert job.upload(range(1, 26), slice_size=10) == 3
    job.save()
    work_until(lambda: job_state(job) == "completed")
    out = io.StringIO()
    job.download(out)
    assert out.getvalue().splitlines() == [str(sum(range(1, 11))), str(sum(range(11, 21))), "115"]
    down = RangeBatchJob.build()
    down.upload(range(5, 0, -1), slice_size=2)
    down.save()
    work_until(lambda: job_state(down) == "completed")
    out = io.StringIO()
    down.download(out)
    assert out.getvalue().splitlines() == ["9", "5", "1"]


def test_status_reports_slices_and_progress() -> None:
    job = EchoBatchJob.create_from_upload([str(i) for i in range(45)])  # 5 slices
    claimed = next_claimed_job(EchoBatchJob, "h:1:0", _filter())
    claimed.rocketjob_batch_before("h:1:0")
    slices = claimed.input()
    claimed.rocketjob_process_slice(slices.claim("h:1:0"))
    claimed.rocketjob_process_slice(slices.claim("h:1:0"))
    slices.claim("h:1:0")  # in flight
    job.reload()
    status = job.status()
    assert status["sub_state"] == "processing"
    assert status["record_count"] == 45
    assert status["slices"] == {"queued": 2, "active": 1, "failed": 0, "completed": 2, "total": 5}
    assert status["percent_complete"] == 40
    assert status["records_per_second"] is not None and status["records_per_second"] >= 0
    assert status["estimated_seconds_left"] is not None


def _filter():  # type: ignore[no-untyped-def]
    from rocketjob import ClaimFilter

    return ClaimFilter()


def test_perform_now_runs_the_whole_batch_inline() -> None:
    job = HookedBatchJob.build()
    job.upload(["a", "b", "c"])
    job.perform_now()
    assert job.state == "completed"
    out = io.StringIO()
    assert job.download(out) == 3
    assert out.getvalue().splitlines() == ["a", "b", "c"]
    assert HookedBatchJob.objects.first() is None  # inline: nothing was saved


def test_perform_now_reraises_the_first_failing_record() -> None:

    from tests.jobsapp.batch_jobs import FailingRecordJob

    job = FailingRecordJob.build(fail_on=[3])
    job.upload([1, 2, 3, 4])
    with pytest.raises(ValueError, match="bad record 3"):
        job.perform_now()
    assert job.state == "failed"
    assert [s["exception"]["record_number"] for s in job.input().failed()] == [3]


def test_workers_keep_percent_complete_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    from rocketjob.batch import worker as batch_worker

    monkeypatch.setattr(batch_worker, "STATE_CHECK_SECONDS", 0.0)
    monkeypatch.setattr(batch_worker, "PERCENT_REFRESH_SECONDS", 0.0)
    job = EchoBatchJob.create_from_upload([str(i) for i in range(40)])  # 4 slices
    claimed = next_claimed_job(EchoBatchJob, "h:1:0", _filter())
    claimed.rocketjob_batch_before("h:1:0")
    stops = iter([False, False, True])
    claimed.rocketjob_process_slices("h:1:0", lambda: next(stops))
    job.reload()
    assert job.percent_complete == 50


def test_a_job_with_no_records_runs_its_hooks_and_completes() -> None:
    job = HookedBatchJob.create_from_upload([])
    assert (job.record_count, job.slice_count) == (0, 0)
    work_until(lambda: job_state(job) == "completed")
    hooks = [h["hook"] for h in jobs_db()["test_batch_hooks"].find({"job_id": str(job.pk)})]
    assert hooks == ["before_batch", "after_batch"]
