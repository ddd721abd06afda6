"""Transitions validate and write only what changed (rocketjob/plugins/job/changes.py), with
mongoengine's results: the same update, the same validation errors."""

from __future__ import annotations

import pytest

from rocketjob.exceptions import JobValidationError
from rocketjob.plugins.job import changes
from rocketjob.plugins.job.model import utc_now
from tests.claiming import claimed_job
from tests.jobsapp.foundation_jobs import KeptJob


def test_the_scalar_update_is_the_one_mongoengine_renders() -> None:
    KeptJob.create(description="d", throttle_group="g")
    job = claimed_job(KeptJob, "w:1:0")
    job.state, job.completed_at, job.percent_complete = "completed", utc_now(), 100
    job.worker_name, job.description, job.failure_count = None, "", 0
    scalars = changes.scalar_changes(job)
    assert scalars is not None
    assert changes.scalar_update(job, scalars) == job.rocketjob_changes()


def test_an_invalid_change_still_fails_the_transition_naming_the_field() -> None:
    KeptJob.create()
    job = claimed_job(KeptJob, "w:1:0")
    job.priority = 0  # made in perform: out of range
    with pytest.raises(JobValidationError, match="priority"):
        job.fire("complete", precondition={"worker_name": "w:1:0"})
    assert KeptJob.objects.get(pk=job.pk).state == "running"


def test_a_change_to_an_embedded_document_takes_mongoengine_s_path() -> None:
    KeptJob.create()
    job = claimed_job(KeptJob, "w:1:0")
    job.fire("fail", exception=RuntimeError("boom"), worker_name="w:1:0")
    stored = KeptJob.objects.get(pk=job.pk)
    assert stored.state == "failed" and stored.exception.message == "boom"
    assert changes.scalar_changes(stored) == {}
