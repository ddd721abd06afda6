"""The heartbeat's lost-claim check against the database, with worker states set by hand.

The end-to-end test (a real worker behind a proxy that loses a claim's reply) is
tests/acceptance/test_workers_lost_claim.py; this one pins the race guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rocketjob.job import Job
from rocketjob.plugins.job.model import utc_now
from rocketjob.runtime.lost_claims import LostClaims
from tests.jobsapp.batch_jobs import FailingRecordJob
from tests.jobsapp.runtime_jobs import RuntimeJob


@dataclass
class Current:
    job_id: str


@dataclass
class WorkerState:
    """The three things the check reads from a ``Worker`` thread."""

    name: str
    current: Current | None = None
    claiming_since: datetime | None = None


def _running(worker_name: str) -> RuntimeJob:
    job = RuntimeJob.create()
    job.start(worker_name=worker_name)
    return job


def test_unheld_work_is_requeued_at_the_second_check_only() -> None:
    job = _running("srv:0")
    check = LostClaims("srv")
    idle = [WorkerState("srv:0")]
    assert check.check(Job, idle) == 0
    assert Job.load(job.pk).state == "running"
    assert check.check(Job, idle) == 1
    assert Job.load(job.pk).state == "queued"


def test_held_and_just_claimed_jobs_are_left_alone() -> None:
    held = _running("srv:0")
    just_claimed = _running("srv:1")
    other_server = _running("srv2:0")
    check = LostClaims("srv")
    workers = [
        WorkerState("srv:0", current=Current(str(held.pk))),
        WorkerState("srv:1", claiming_since=utc_now()),  # its claim has not returned yet
    ]
    for _ in range(3):
        assert check.check(Job, workers) == 0
    assert {Job.load(j.pk).state for j in (held, just_claimed, other_server)} == {"running"}
    # The claim returned and the worker names its job: still never a suspect twice.
    workers[1] = WorkerState("srv:1", current=Current(str(just_claimed.pk)))
    assert check.check(Job, workers) == 0
    assert Job.load(just_claimed.pk).state == "running"


def test_a_job_that_completes_between_checks_is_not_touched() -> None:
    job = _running("srv:0")
    check = LostClaims("srv")
    assert check.check(Job, [WorkerState("srv:0")]) == 0
    job.complete()
    assert check.check(Job, [WorkerState("srv:0")]) == 0
    assert Job.load(job.pk).state == "completed"


def test_a_lost_slice_is_requeued_once_its_worker_left_the_job() -> None:
    job = FailingRecordJob.create_from_upload(list(range(1, 11)))  # 2 slices
    job.start(worker_name="srv:0")
    job.set_fields(sub_state="processing")
    lost = job.input().claim("srv:1")
    assert lost is not None
    check = LostClaims("srv")
    on_the_job = [WorkerState("srv:1", current=Current(str(job.pk)))]
    assert check.check(Job, on_the_job) == 0
    assert check.check(Job, on_the_job) == 0  # its worker may be processing it
    moved_on = [WorkerState("srv:1")]
    assert check.check(Job, moved_on) == 0
    assert check.check(Job, moved_on) == 1
    assert job.input().counts_by_state()["queued"] == 2


def test_a_batch_job_lost_before_processing_is_requeued_but_not_while_processing() -> None:
    unstarted = FailingRecordJob.create_from_upload([1, 2, 3])
    unstarted.start(worker_name="srv:0")  # claimed; before_batch never ran
    processing = FailingRecordJob.create_from_upload([4, 5, 6])
    processing.start(worker_name="srv:0")
    processing.set_fields(sub_state="processing")  # shared by every worker now
    check = LostClaims("srv")
    assert check.check(Job, [WorkerState("srv:0")]) == 0
    assert check.check(Job, [WorkerState("srv:0")]) == 1
    assert Job.load(unstarted.pk).state == "queued"
    assert Job.load(processing.pk).state == "running"
