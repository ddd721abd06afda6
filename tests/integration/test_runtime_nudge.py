"""Idle workers join a batch job as soon as it opens its slices, not at their next poll."""

from __future__ import annotations

import dataclasses

from rocketjob import ClaimFilter, Job
from rocketjob.conf import get_settings
from rocketjob.runtime.worker import Worker
from tests.helpers import wait_for
from tests.integration.batch_support import job_state
from tests.jobsapp.batch_jobs import EchoBatchJob


def test_a_batch_job_opening_its_slices_wakes_an_idle_worker_at_once() -> None:
    # A poll interval far beyond the test's timeouts: only the nudge can wake the worker.
    settings = dataclasses.replace(get_settings(), max_poll_seconds=600.0)
    worker = Worker("nudge:1", 0, settings, ClaimFilter()).start()
    try:
        wait_for(lambda: worker.idle, timeout=30)
        job = EchoBatchJob.create_from_upload([f"r{i}" for i in range(30)])
        # Another server starts the job: before_batch done, slices open to every worker.
        owner = Job.rocketjob_next_job("other:1:0", ClaimFilter(include="EchoBatchJob$"))
        assert owner.pk == job.pk
        assert owner.rocketjob_batch_before("other:1:0")
        # The idle worker wakes, joins, processes every slice and completes the job.
        wait_for(lambda: job_state(job) == "completed", timeout=30)
    finally:
        worker.stop()
        worker.join(30)
    assert not worker.is_alive()


def test_an_idle_worker_looks_for_a_batch_job_to_join_at_every_poll() -> None:
    claim_filter = ClaimFilter()
    assert Job.rocketjob_next_job("idle:1:0", claim_filter) is None  # found nothing at all
    job = EchoBatchJob.create_from_upload(["a", "b"])
    owner = Job.rocketjob_next_job("owner:1:0", ClaimFilter())
    owner.rocketjob_batch_before("owner:1:0")
    # No skip of the join lookup after an idle poll: the very next poll joins.
    joined = Job.rocketjob_next_job("idle:1:0", claim_filter)
    assert joined is not None and joined.pk == job.pk and joined.rocketjob_joined
