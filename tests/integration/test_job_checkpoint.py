"""``checkpoint()`` on the real server: when it reads, what it raises, and dead holders."""

from __future__ import annotations

import time

import pytest

from rocketjob import Job
from rocketjob.plugins.job.interrupt import JobInterrupted
from rocketjob.runtime.claim import requeue_dead_server
from tests.claiming import claimed_job
from tests.helpers import FindFilters
from tests.jobsapp.runtime_jobs import CheckpointJob


def _claimed(worker: str = "host:1:0") -> CheckpointJob:
    CheckpointJob.create()
    job = claimed_job(Job, worker)
    assert isinstance(job, CheckpointJob)
    job.rocketjob_checkpoint_start(worker)
    return job


def test_inline_checkpoints_do_nothing() -> None:
    job = CheckpointJob.create(steps=3, step_seconds=0.0)
    job.perform_now()  # the stored job stays queued; checkpoints must not object
    assert CheckpointJob.objects.get(pk=job.pk).state == "queued"


def test_reads_at_most_every_checkpoint_seconds() -> None:
    job = _claimed()
    job.checkpoint()  # first call reads: still running under this worker
    CheckpointJob.objects(pk=job.pk).update(set__state="aborted")
    job.checkpoint()  # within checkpoint_seconds (0.2 s): no read, no raise
    time.sleep(CheckpointJob.checkpoint_seconds + 0.05)
    with pytest.raises(JobInterrupted, match="aborted") as raised:
        job.checkpoint()
    assert raised.value.state == "aborted"


@pytest.mark.parametrize(
    ("change", "state"),
    [("fail", "failed"), ("pause", "paused"), ("requeue", "queued"), ("destroy", None)],
)
def test_raises_when_the_job_is_no_longer_running_under_this_worker(
    change: str, state: str | None
) -> None:
    job = _claimed()
    other = CheckpointJob.objects.get(pk=job.pk)
    if change == "requeue":
        other.requeue("host:1")
    elif change == "destroy":
        other.delete()
    else:
        getattr(other, change)()
    with pytest.raises(JobInterrupted) as raised:
        job.rocketjob_checkpoint()
    assert raised.value.state == state


def test_a_dead_server_releases_the_paused_jobs_it_held() -> None:
    job = _claimed("gone:7:0")
    CheckpointJob.objects.get(pk=job.pk).pause()  # its worker died before a checkpoint
    requeue_dead_server(Job, "gone:7")
    paused = CheckpointJob.objects.get(pk=job.pk)
    assert (paused.state, paused.worker_name, paused.started_at) == ("paused", None, None)
    paused.resume()
    assert paused.state == "queued"  # not running under a worker that is gone


def test_a_replacement_worker_thread_releases_what_its_predecessor_held_paused() -> None:
    from rocketjob.conf import get_settings
    from rocketjob.runtime.claim_filter import ClaimFilter
    from rocketjob.runtime.worker import Worker

    job = _claimed("host:9:0")
    CheckpointJob.objects.get(pk=job.pk).pause()  # its thread crashed before a checkpoint
    other = _claimed("host:9:1")
    CheckpointJob.objects.get(pk=other.pk).pause()  # another thread's: not touched
    Worker("host:9", 0, get_settings(), ClaimFilter())._requeue_own_claims()
    assert CheckpointJob.objects.get(pk=job.pk).worker_name is None
    assert CheckpointJob.objects.get(pk=other.pk).worker_name == "host:9:1"


def test_the_paused_jobs_read_is_by_fields_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every worker thread sends it when it starts (a resume restarts them all): an ``$and``
    there made the embedded server read every job (101,000 documents: 16 ms of server CPU
    per job in a 1,000-job rocketjob_perf run, efficiency 0.07)."""
    from rocketjob import queries
    from rocketjob.connection import jobs_db
    from rocketjob.runtime.claim import release_paused_of

    job = _claimed("host:8:0")
    CheckpointJob.objects.get(pk=job.pk).pause()
    finds = FindFilters()
    client = finds.client()
    listened = client[jobs_db().name][Job._get_collection_name()]
    monkeypatch.setattr(Job, "_get_collection", classmethod(lambda cls: listened))
    try:
        assert release_paused_of(Job, queries.eq("worker_name", "host:8:1")) == 0
        assert release_paused_of(Job, queries.workers_of("host:8")) == 1
    finally:
        client.close()
    assert len(finds.filters) == 2
    assert not any(finds.top_level_operators()), finds.filters
