"""Throttles end to end through rocketjob.runtime.claim.next_job: dependent jobs, running-job
caps per class and per throttle_group, and a user-defined throttle."""

from __future__ import annotations

import pytest

from rocketjob import ClaimFilter, Job
from rocketjob.connection import jobs_db
from tests.claiming import next_claimed_job
from tests.helpers import FindFilters
from tests.jobsapp.plugin_jobs import (
    BlockerJob,
    DependentJob,
    GatedJob,
    GroupCapJob,
    GroupOtherJob,
    work_next,
)


def _claim(claim_filter: ClaimFilter, worker: str = "host:1:0") -> Job | None:
    return next_claimed_job(Job, worker, claim_filter)


def test_dependent_job_waits_while_a_job_it_depends_on_runs() -> None:
    blocker = BlockerJob.create(priority=10)
    dependent = DependentJob.create(priority=20)
    claim_filter = ClaimFilter()
    running = _claim(claim_filter)
    assert running is not None and running.pk == blocker.pk
    assert _claim(claim_filter, "host:1:1") is None
    dependent.reload()
    assert dependent.state == "queued"
    assert dependent.throttled_by == "dependent_jobs_running"
    assert dependent.throttled_at is not None
    assert claim_filter.excluded == {"_cls": {dependent._class_name}}
    running.rocketjob_work("host:1:0")
    claim_filter.reset_exclusions()  # what a worker does every re_check_seconds
    started = _claim(claim_filter, "host:1:1")
    assert started is not None and started.pk == dependent.pk
    assert started.throttled_by is None


def test_dependent_jobs_field_names_classes_per_job() -> None:
    GroupCapJob.create(priority=10)
    dependent = DependentJob.create(priority=20, dependent_jobs=["GroupCapJob"])
    assert dependent.rocketjob_dependent_class_names() == ["Job.BlockerJob", "Job.GroupCapJob"]
    claim_filter = ClaimFilter()
    assert _claim(claim_filter) is not None  # the GroupCapJob
    assert _claim(claim_filter) is None
    dependent.reload()
    assert dependent.throttled_by == "dependent_jobs_running"


def test_running_jobs_cap_per_class() -> None:
    first = GroupCapJob.create()
    second = GroupCapJob.create()
    claim_filter = ClaimFilter()
    running = _claim(claim_filter)
    assert running is not None and running.pk == first.pk
    assert _claim(claim_filter, "host:1:1") is None
    second.reload()
    assert second.state == "queued"
    assert second.throttled_by == "throttle_running_jobs_exceeded"
    running.rocketjob_work("host:1:0")
    claim_filter.reset_exclusions()
    nxt = _claim(claim_filter, "host:1:1")
    assert nxt is not None and nxt.pk == second.pk


def test_running_jobs_cap_per_throttle_group_spans_classes() -> None:
    GroupCapJob.create(throttle_group="ledger", priority=10)
    other = GroupOtherJob.create(throttle_group="ledger", priority=20)
    ungrouped = GroupOtherJob.create(priority=30)
    claim_filter = ClaimFilter()
    assert _claim(claim_filter) is not None
    started = _claim(claim_filter, "host:1:1")
    # The grouped GroupOtherJob is held; the ungrouped one of the same class is not.
    assert started is not None and started.pk == ungrouped.pk
    other.reload()
    assert other.state == "queued"
    assert other.throttled_by == "throttle_running_jobs_exceeded"
    assert claim_filter.excluded == {"throttle_group": {"ledger"}}


def test_user_defined_throttle() -> None:
    gate = jobs_db()["test_gate"]
    gate.insert_one({"_id": "gate", "closed": True})
    job = GatedJob.create()
    claim_filter = ClaimFilter()
    assert _claim(claim_filter) is None
    job.reload()
    assert job.throttled_by == "gate_closed"
    assert claim_filter.excluded == {"_cls": {job._class_name}}
    gate.update_one({"_id": "gate"}, {"$set": {"closed": False}})
    claim_filter.reset_exclusions()
    assert work_next(claim_filter=claim_filter) is not None
    job.reload()
    assert job.state == "completed"
    assert job.throttled_by is None


def test_the_dependent_jobs_throttle_reads_by_fields_side_by_side(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It runs at every claim of such a job: no ``$or`` of classes (nor ``$and``), which the
    embedded server's find answers by reading every job."""
    GroupCapJob.create(priority=10)
    dependent = DependentJob.create(priority=20, dependent_jobs=["GroupCapJob"])
    assert _claim(ClaimFilter()) is not None  # the GroupCapJob runs
    finds = FindFilters()
    client = finds.client()
    listened = client[jobs_db().name][Job._get_collection_name()]
    monkeypatch.setattr(DependentJob, "_get_collection", classmethod(lambda cls: listened))
    try:
        assert dependent.dependent_jobs_running()
        GroupCapJob.objects.delete()
        assert not dependent.dependent_jobs_running()
    finally:
        client.close()
    assert finds.filters
    assert not any(finds.top_level_operators()), finds.filters
