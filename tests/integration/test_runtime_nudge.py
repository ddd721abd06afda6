"""Idle workers join a batch job as soon as it opens its slices, not at their next poll; a
worker that drained a batch job skips it briefly, then rejoins it if slices come back."""

from __future__ import annotations

import dataclasses

import pytest

from rocketjob import ClaimFilter, Job
from rocketjob.conf import get_settings
from rocketjob.runtime import worker as worker_module
from rocketjob.runtime.claim import next_job
from rocketjob.runtime.worker import Worker
from tests.claiming import next_claimed_job
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
        owner = next_claimed_job(Job, "other:1:0", ClaimFilter(include="EchoBatchJob$"))
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
    assert next_claimed_job(Job, "idle:1:0", claim_filter) is None  # found nothing at all
    job = EchoBatchJob.create_from_upload(["a", "b"])
    owner = next_claimed_job(Job, "owner:1:0", ClaimFilter())
    owner.rocketjob_batch_before("owner:1:0")
    # No skip of the join lookup after an idle poll: the very next poll joins.
    joined = next_job(Job, "idle:1:0", claim_filter)
    assert joined is not None and joined.job.pk == job.pk and joined.joined


def test_a_worker_skips_a_drained_batch_job_briefly_then_rejoins_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_module, "DRAINED_SKIP_SECONDS", 2.0)
    # Exclusions would otherwise last re_check_seconds: far beyond the test's timeouts.
    settings = dataclasses.replace(get_settings(), max_poll_seconds=0.2, re_check_seconds=600.0)
    job = EchoBatchJob.create_from_upload([f"r{i}" for i in range(20)])  # two slices
    owner = next_claimed_job(Job, "owner:1:0", ClaimFilter(include="EchoBatchJob$"))
    assert owner.rocketjob_batch_before("owner:1:0")
    held = job.input().claim("owner:1:0")  # the owner keeps one slice running
    assert held is not None
    worker = Worker("drain:1", 0, settings, ClaimFilter()).start()
    try:
        # The worker takes the other slice, finds none queued and leaves the job out.
        wait_for(lambda: job.pk in worker.claim_filter.excluded.get("_id", ()), timeout=30)
        assert job.input().counts_by_state()["queued"] == 0
        # The held slice goes back to the queue (its worker died): the worker rejoins once
        # the short skip is over, processes it and completes the job.
        job.input().release(held)
        wait_for(lambda: job_state(job) == "completed", timeout=30)
    finally:
        worker.stop()
        worker.join(30)
