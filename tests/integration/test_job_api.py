"""The job API: create, validation, class defaults, perform_now, scopes and counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rocketjob import Job, JobValidationError, UnknownJobFieldError
from rocketjob.plugins.job.model import utc_now
from tests.claiming import claimed_job, next_claimed_job
from tests.jobsapp.foundation_jobs import KeptJob, ReportJob


def test_create_saves_a_queued_job_with_defaults() -> None:
    job = KeptJob.create(description="nightly")
    stored = Job.objects.get(pk=job.pk)
    assert isinstance(stored, KeptJob)
    assert stored.state == "queued"
    assert stored.priority == 50
    assert stored.failure_count == 0 and stored.percent_complete == 0
    assert stored.created_at <= utc_now()


def test_class_level_default_overrides_inherited_field_default() -> None:
    assert ReportJob(report_name="a").priority == 30
    assert KeptJob().priority == 50
    job = ReportJob.create(report_name="a", priority=7)
    assert ReportJob.objects.get(pk=job.pk).priority == 7


def test_user_editable_and_copy_on_restart_fields() -> None:
    editable = ReportJob.user_editable_fields()
    assert {"report_name", "row_limit", "priority", "description", "run_at"} <= set(editable)
    assert "internal_note" not in editable and "state" not in editable
    restart = ReportJob.copy_on_restart_fields()
    assert "report_name" in restart and "row_limit" not in restart


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"priority": 0}, "priority"),
        ({"priority": 101}, "priority"),
        ({"priority": "high"}, "priority"),
        ({"log_level": "LOUD"}, "log_level"),
        ({"description": "x" * 1001}, "description"),
        ({"run_at": "tomorrow-ish"}, "run_at"),
    ],
)
def test_invalid_fields_raise_clear_errors_and_save_nothing(fields: dict, message: str) -> None:
    with pytest.raises(JobValidationError, match=message):
        KeptJob.create(**fields)
    assert KeptJob.objects.count() == 0


def test_required_user_field_is_enforced() -> None:
    with pytest.raises(JobValidationError, match="report_name"):
        ReportJob.create()
    with pytest.raises(JobValidationError, match="row_limit"):
        ReportJob.create(report_name="x", row_limit=0)


def test_unknown_field_names_the_field() -> None:
    with pytest.raises(UnknownJobFieldError, match="reprot_name"):
        ReportJob.create(reprot_name="typo")


def test_perform_now_as_class_and_instance_method() -> None:
    assert ReportJob.perform_now(report_name="q3") == "report q3"
    job = ReportJob(report_name="q4")
    assert job.perform_now() == "report q4"
    assert job.state == "completed" and ReportJob.objects.count() == 0


def test_queued_now_scheduled_and_run_now() -> None:
    now_job = KeptJob.create()
    later = KeptJob.create(run_at=utc_now() + timedelta(hours=2))
    assert [j.pk for j in KeptJob.queued_now()] == [now_job.pk]
    assert [j.pk for j in KeptJob.scheduled()] == [later.pk]
    later.run_now()
    assert {j.pk for j in KeptJob.queued_now()} == {now_job.pk, later.pk}
    assert KeptJob.objects.get(pk=later.pk).run_at is None


def test_counts_by_state_covers_every_state_and_respects_the_class() -> None:
    KeptJob.create()
    KeptJob.create().pause()
    ReportJob.create(report_name="r").abort()
    assert KeptJob.counts_by_state() == {
        "queued": 1,
        "running": 0,
        "completed": 0,
        "failed": 0,
        "aborted": 0,
        "paused": 1,
    }
    assert Job.counts_by_state()["aborted"] == 1


def test_claim_takes_highest_priority_then_oldest_and_skips_future_jobs() -> None:
    low = KeptJob.create(priority=90)
    first_high = KeptJob.create(priority=10)
    second_high = KeptJob.create(priority=10)
    KeptJob.create(priority=1, run_at=utc_now() + timedelta(hours=1))
    order = [claimed_job(KeptJob, "w:1:0").pk for _ in range(3)]
    assert order == [first_high.pk, second_high.pk, low.pk]
    assert claimed_job(KeptJob, "w:1:0") is None


def test_among_equal_priorities_the_oldest_by_created_at_is_claimed_first() -> None:
    # Inserted first, but created later: the claim sorts on created_at, not _id.
    later = KeptJob.create(priority=20, created_at=utc_now() + timedelta(seconds=5))
    earlier = KeptJob.create(priority=20, created_at=utc_now() - timedelta(seconds=5))
    order = [claimed_job(KeptJob, "w:1:0").pk for _ in range(2)]
    assert order == [earlier.pk, later.pk]


def test_ensure_indexes_replaces_an_older_claim_index_of_the_same_name() -> None:
    from rocketjob.connection import ensure_indexes
    from rocketjob.queries import CLAIM_INDEX

    collection = Job._get_collection()
    collection.drop_indexes()
    collection.create_index([("state", 1), ("priority", 1)], name="rocketjob_claim")
    ensure_indexes()
    keys = [[name for name, _ in index["key"]] for index in collection.index_information().values()]
    assert [name for name, _ in CLAIM_INDEX] in keys


def test_expired_job_is_destroyed_instead_of_run() -> None:
    from rocketjob import ClaimFilter

    KeptJob.create(expires_at=utc_now() - timedelta(seconds=5))
    fresh = KeptJob.create()
    claimed = next_claimed_job(Job, "w:1:0", ClaimFilter())
    assert claimed.pk == fresh.pk
    assert KeptJob.objects.count() == 1


def test_status_describes_the_job() -> None:
    job = KeptJob.create(description="d")
    job.start(worker_name="w:1:0")
    status = job.status()
    assert status["state"] == "running" and status["class_name"] == "KeptJob"
    assert status["id"] == str(job.pk) and status["duration_seconds"] >= 0


@pytest.mark.parametrize(
    "fields",
    [
        {"row_limit": 2**63},
        {"row_limit": 10**30},
        {"run_at": datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("America/Los_Angeles"))},
    ],
)
def test_values_mongodb_cannot_store_are_a_validation_error(fields: dict) -> None:
    """Not pymongo's OverflowError at the write: create and set_fields name the field."""
    name = next(iter(fields))
    with pytest.raises(JobValidationError, match=f"{name}: MongoDB cannot store"):
        ReportJob.create(report_name="r", **fields)
    assert ReportJob.objects.count() == 0
    job = ReportJob.create(report_name="r")
    with pytest.raises(JobValidationError, match=f"{name}: MongoDB cannot store") as caught:
        job.set_fields(**fields)
    assert name in caught.value.errors
    assert ReportJob._get_collection().find_one({"_id": job.pk}).get(name) is None
