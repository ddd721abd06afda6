"""Many workers on one batch job: joining, priorities, the worker cap, dead servers."""

from __future__ import annotations

import io

import pytest
from bson import ObjectId

from rocketjob import Batch, ClaimFilter, Job
from rocketjob.connection import jobs_db
from rocketjob.runtime.claim import (
    best_processing,
    claimable_classes,
    joinable_class_names,
    next_job,
    requeue_dead_server,
)
from rocketjob.runtime.work_result import WorkResult
from tests.claiming import next_claimed_job
from tests.helpers import FindFilters
from tests.integration.batch_support import job_state, work_until
from tests.jobsapp.batch_jobs import EchoBatchJob, UncompressedEchoJob
from tests.jobsapp.jobs import NoopJob


def started_batch(records: int = 50, **fields: object) -> EchoBatchJob:
    """A batch job claimed by worker ``a:1:0`` and moved to processing."""
    job = EchoBatchJob.create_from_upload([str(i) for i in range(records)], **fields)
    claimed = next_claimed_job(Job, "a:1:0", ClaimFilter())
    assert claimed.pk == job.pk
    claimed.rocketjob_batch_before("a:1:0")
    job.reload()
    assert job.sub_state == "processing"
    return job


def test_joining_workers_do_not_overwrite_the_owner() -> None:
    job = started_batch()
    owner, started_at = job.worker_name, job.started_at
    found = next_job(Job, "b:2:0", ClaimFilter())
    assert found is not None and found.joined
    joined = found.job
    assert joined.pk == job.pk
    joined.rocketjob_process_slice(joined.input().claim("b:2:0"))
    job.reload()
    assert (job.worker_name, job.started_at) == (owner, started_at)


def test_a_higher_priority_queued_job_wins_over_joining() -> None:
    started_batch(priority=50)
    urgent = NoopJob.create(priority=10)
    later = NoopJob.create(priority=50)
    first = next_claimed_job(Job, "b:2:0", ClaimFilter())
    assert first.pk == urgent.pk
    # Equal priority: the batch job already started is finished first.
    second = next_job(Job, "b:2:1", ClaimFilter())
    assert second is not None and isinstance(second.job, EchoBatchJob) and second.joined
    later.reload()
    assert later.state == "queued"


def test_a_job_with_no_queued_slices_is_skipped_until_the_filter_resets() -> None:
    job = started_batch(records=10)  # one slice
    in_flight = job.input().claim("a:1:0")
    assert in_flight is not None
    claim_filter = ClaimFilter()
    assert next_claimed_job(Job, "b:2:0", claim_filter) is None
    assert claim_filter.excluded == {"_id": {job.pk}}
    job.reload()
    job.rocketjob_process_slice(in_flight)
    # The next worker to look finds nothing queued or running: it completes the job.
    assert next_claimed_job(Job, "b:2:1", ClaimFilter()) is None
    assert job_state(job) == "completed"


def test_throttle_running_workers_caps_concurrent_slices() -> None:
    job = started_batch(throttle_running_workers=2)
    slices = job.input()
    slices.claim("x:1:0")
    slices.claim("x:1:1")
    claim_filter = ClaimFilter()
    assert next_claimed_job(Job, "b:2:0", claim_filter) is None
    assert job.pk in claim_filter.excluded["_id"]
    # A worker already inside gives back a slice it took over the cap.
    worker = EchoBatchJob.objects(pk=job.pk).first()
    assert worker.rocketjob_join("b:2:1", lambda: False) is WorkResult.YIELDED
    assert slices.counts_by_state()["running"] == 2
    job.set_fields(throttle_running_workers=None)
    assert next_claimed_job(Job, "b:2:0", ClaimFilter()).pk == job.pk


def test_dead_server_requeue_takes_back_only_its_running_slices() -> None:
    job = started_batch(records=50)  # 5 slices; owned by server a:1
    slices = job.input()
    mine = [slices.claim("dead:9:0"), slices.claim("dead:9:1")]
    theirs = slices.claim("alive:2:0")
    job.reload()
    done = slices.claim("alive:2:1")
    job.rocketjob_process_slice(done)
    assert all(mine) and theirs is not None
    assert requeue_dead_server(Job, "dead:9") == 1
    docs = {d["_id"]: d for d in slices.collection.find()}
    assert docs[mine[0].id]["state"] == docs[mine[1].id]["state"] == "queued"
    assert "worker_name" not in docs[mine[0].id]
    assert docs[theirs.id]["state"] == "running"
    assert done.id not in docs  # completed slices are never re-processed
    job.reload()
    assert (job.state, job.worker_name) == ("running", "a:1:0")


def test_requeue_of_the_owning_server_while_processing_keeps_the_job_running() -> None:
    job = started_batch()
    held = job.input().claim("a:1:0")
    assert requeue_dead_server(Job, "a:1") >= 1
    job.reload()
    assert (job.state, job.sub_state) == ("running", "processing")
    assert job.input().collection.find_one({"_id": held.id})["state"] == "queued"


def test_requeue_during_before_batch_puts_the_job_back_in_the_queue() -> None:
    job = EchoBatchJob.create_from_upload(["a"])
    claimed = next_claimed_job(Job, "a:1:0", ClaimFilter())
    claimed.sub_state = "before"
    claimed.set_fields(sub_state="before")
    assert requeue_dead_server(Job, "a:1") == 1
    job.reload()
    assert (job.state, job.sub_state, job.worker_name) == ("queued", "before", None)
    work_until(lambda: job_state(job) == "completed")


def test_four_workers_and_a_dead_server_still_give_every_record_once_in_order() -> None:
    records = [f"r{i}" for i in range(300)]
    job = EchoBatchJob.create_from_upload(records)
    started = next_claimed_job(Job, "dead:9:0", ClaimFilter())
    started.rocketjob_batch_before("dead:9:0")
    lost = [job.input().claim("dead:9:0") for _ in range(3)]
    assert all(lost)
    requeue_dead_server(Job, "dead:9")
    work_until(lambda: job_state(job) == "completed", workers=4)
    out = io.StringIO()
    assert job.download(out) == 300
    assert out.getvalue().splitlines() == records


def test_a_worker_that_found_nothing_to_join_skips_the_lookup_briefly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rocketjob.runtime import claim as claim_module

    monkeypatch.setattr(claim_module, "JOIN_RECHECK_SECONDS", 60.0)
    job = EchoBatchJob.create_from_upload(["a", "b"])
    busy = ClaimFilter()  # one filter per worker thread: it holds the worker's skip
    claimed = next_claimed_job(Job, "c:1:0", busy)  # looked for a join: none
    claimed.rocketjob_batch_before("c:1:0")
    assert next_claimed_job(Job, "c:1:0", busy) is None  # skipped the lookup
    assert next_claimed_job(Job, "c:1:1", ClaimFilter()).pk == job.pk  # others look
    busy.clear_join_skip()
    assert next_claimed_job(Job, "c:1:0", busy).pk == job.pk


def _processing(job_class: type[Batch], priority: int, owner_filter: ClaimFilter) -> Batch:
    """A batch job started by worker ``owner:1:0``, whose filter skips the ones it started."""
    job = job_class.create_from_upload([str(i) for i in range(20)], priority=priority)
    owner = next_claimed_job(Job, "owner:1:0", owner_filter)
    assert owner.pk == job.pk
    owner_filter.exclude_value("_id", job.pk)
    owner.rocketjob_batch_before("owner:1:0")
    return job


def test_a_worker_joins_the_best_processing_job_of_a_class_it_may_run() -> None:
    """The join lookup reads every processing job in claim order and keeps the first of a
    class the worker may claim (checked in Python, not in the query: rocketjob.queries)."""
    owner_filter = ClaimFilter()
    urgent = _processing(UncompressedEchoJob, 10, owner_filter)
    echo = _processing(EchoBatchJob, 30, owner_filter)
    later = _processing(UncompressedEchoJob, 40, owner_filter)
    found = next_job(Job, "b:2:0", ClaimFilter())
    assert found is not None and found.joined and found.job.pk == urgent.pk
    only_echo = next_job(Job, "b:2:1", ClaimFilter(include="EchoBatchJob$"))
    assert only_echo is not None and only_echo.joined and only_echo.job.pk == echo.pk
    skipping = ClaimFilter(include="UncompressedEchoJob$")
    skipping.exclude_value("_id", urgent.pk)
    found = next_job(Job, "b:2:2", skipping)
    assert found is not None and found.joined and found.job.pk == later.pk
    assert next_job(Job, "b:2:3", ClaimFilter(include="CsvBatchJob$")) is None


def test_the_join_lookup_reads_processing_jobs_by_fields_side_by_side() -> None:
    """Several joinable classes: the lookup sends no ``$or`` of them (nor an ``$and``), which
    the embedded server's find would answer by reading the whole jobs collection."""
    owner_filter = ClaimFilter()
    echo = _processing(EchoBatchJob, 30, owner_filter)
    finds = FindFilters()
    client = finds.client()
    try:
        collection = client[jobs_db().name][Job._get_collection_name()]
        skipped = ClaimFilter()
        skipped.exclude_value("_id", ObjectId())
        candidates = claimable_classes(Job)
        assert len(joinable_class_names(candidates)) > 1
        joinable = [(n, k) for n, k in candidates if k.rocketjob_joinable]
        for claim_filter in (ClaimFilter(), skipped):
            found = best_processing(collection, joinable, claim_filter)
            assert found is not None and found["_id"] == echo.pk
    finally:
        client.close()
    assert len(finds.filters) == 2
    assert not any(finds.top_level_operators()), finds.filters
