"""Jobs whose class this process does not define: invisible to workers, clear when loaded."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from rocketjob import ClaimFilter, Job, UnknownJobClassError
from rocketjob.plugins.job.model import utc_now
from tests.claiming import next_claimed_job
from tests.jobsapp.foundation_jobs import KeptJob


def store_unknown() -> object:
    collection = Job._get_collection()
    return collection.insert_one(
        {
            "_cls": "Job.RemovedLongAgoJob",
            "state": "queued",
            "priority": 1,
            "created_at": utc_now(),
            "failure_count": 0,
            "percent_complete": 0,
        }
    ).inserted_id


def test_workers_never_claim_unknown_classes_and_leave_them_untouched() -> None:
    unknown_id = store_unknown()
    known = KeptJob.create(priority=50)
    claimed = next_claimed_job(Job, "w:1:0", ClaimFilter())
    assert claimed.pk == known.pk
    assert next_claimed_job(Job, "w:1:0", ClaimFilter()) is None
    raw = Job._get_collection().find_one({"_id": unknown_id})
    assert raw["state"] == "queued" and "worker_name" not in raw


def test_loading_an_unknown_class_names_it() -> None:
    unknown_id = store_unknown()
    with pytest.raises(UnknownJobClassError, match=r"RemovedLongAgoJob.*not registered"):
        Job.load(unknown_id)
    assert Job.unknown_classes() == ["Job.RemovedLongAgoJob"]


def test_system_check_warns_about_unknown_classes() -> None:
    store_unknown()
    messages = [m for m in run_checks(tags=["rocketjob"]) if m.id == "rocketjob.W001"]
    assert len(messages) == 1 and "Job.RemovedLongAgoJob" in messages[0].msg


def test_queries_skip_unknown_classes_instead_of_crashing() -> None:
    store_unknown()
    KeptJob.create()
    assert [type(j).__name__ for j in Job.objects] == ["KeptJob"]
    assert Job.counts_by_state()["queued"] == 1
