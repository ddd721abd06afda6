"""Every event from every state: allowed ones apply their effects, the rest are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rocketjob import InvalidTransitionError, Job
from rocketjob.plugins.job.model import STATES, utc_now
from rocketjob.runtime.claim import requeue_dead_server
from tests.jobsapp.foundation_jobs import KeptJob, PausableJob, PausableWithoutCheckpointsJob

# (event, source) -> destination for a plain (not pausable) job, per the feature inventory.
ALLOWED = {
    ("start", "queued"): "running",
    ("complete", "running"): "completed",
    ("fail", "queued"): "failed",
    ("fail", "running"): "failed",
    ("fail", "paused"): "failed",
    ("retry", "failed"): "queued",
    ("pause", "queued"): "paused",
    ("resume", "paused"): "queued",  # never started: back to the queue
    ("abort", "running"): "aborted",
    ("abort", "queued"): "aborted",
    ("abort", "failed"): "aborted",
    ("abort", "paused"): "aborted",
}
EVENTS = ("start", "complete", "fail", "retry", "pause", "resume", "abort")


def stored_job(state: str, job_class: type[Job] = KeptJob) -> Job:
    """A saved job put into ``state`` directly (bypassing events) as a starting point."""
    job = job_class.create(description=f"in {state}")
    job._get_collection().update_one({"_id": job.pk}, {"$set": {"state": state}})
    return job_class.objects.get(pk=job.pk)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", EVENTS)
def test_event_from_every_state(event: str, state: str) -> None:
    job = stored_job(state)
    destination = ALLOWED.get((event, state))
    assert job.may(event) is (destination is not None)
    if destination is None:
        with pytest.raises(InvalidTransitionError, match=f"cannot {event}"):
            job.fire(event)
        assert KeptJob.objects.get(pk=job.pk).state == state
    else:
        job.fire(event)
        assert job.state == destination
        assert KeptJob.objects.get(pk=job.pk).state == destination


def test_running_job_pauses_only_when_pausable() -> None:
    plain = stored_job("running")
    assert not plain.may("pause")
    with pytest.raises(InvalidTransitionError):
        plain.pause()
    pausable = stored_job("running", PausableJob)
    pausable.started_at = utc_now()
    pausable.save()
    pausable.pause()
    assert pausable.state == "paused" and pausable.completed_at is not None
    pausable.resume()  # it had started: back to running
    reloaded = PausableJob.objects.get(pk=pausable.pk)
    assert reloaded.state == "running" and reloaded.completed_at is None


def test_pausing_a_running_job_without_checkpoints_is_refused_clearly() -> None:
    from rocketjob.plugins.job.interrupt import JobNotInterruptibleError

    job = stored_job("running", PausableWithoutCheckpointsJob)
    assert not job.may("pause")
    with pytest.raises(JobNotInterruptibleError, match="does not call checkpoint") as raised:
        job.pause()
    assert isinstance(raised.value, InvalidTransitionError)
    assert PausableWithoutCheckpointsJob.objects.get(pk=job.pk).state == "running"
    queued = PausableWithoutCheckpointsJob.create()
    queued.pause()  # not running yet: a pause is fine
    assert queued.state == "paused"


def test_requeue_only_by_the_owning_server() -> None:
    job = KeptJob.create()
    job.start(worker_name="host-a:100:3")
    assert not job.may("requeue", server_name="host-a:10")  # prefix of another pid
    with pytest.raises(InvalidTransitionError):
        job.requeue("host-b:100")
    job.requeue("host-a:100")
    stored = KeptJob.objects.get(pk=job.pk)
    assert stored.state == "queued" and stored.worker_name is None and stored.started_at is None


def test_requeue_dead_server_requeues_only_its_jobs() -> None:
    mine = [KeptJob.create() for _ in range(3)]
    other = KeptJob.create()
    for index, job in enumerate(mine):
        job.start(worker_name=f"dead:1:{index}")
    other.start(worker_name="alive:2:0")
    assert requeue_dead_server(KeptJob, "dead:1") == 3
    assert {j.state for j in KeptJob.objects(pk__in=[j.pk for j in mine])} == {"queued"}
    assert KeptJob.objects.get(pk=other.pk).state == "running"


def test_start_complete_effects() -> None:
    job = KeptJob.create()
    before = utc_now()
    job.start(worker_name="w:1:0")
    assert job.started_at >= before and job.worker_name == "w:1:0"
    job.complete()
    stored = KeptJob.objects.get(pk=job.pk)
    assert stored.state == "completed"
    assert stored.percent_complete == 100
    assert stored.completed_at >= stored.started_at


def test_fail_records_exception_and_retry_clears_it() -> None:
    job = KeptJob.create()
    job.start(worker_name="w:1:0")
    try:
        raise KeyError("missing thing")
    except KeyError as exc:
        job.fail(exc, worker_name="w:1:0")
    stored = KeptJob.objects.get(pk=job.pk)
    assert stored.failure_count == 1
    assert stored.exception.class_name == "KeyError"
    assert "missing thing" in stored.exception.message
    assert stored.exception.worker_name == "w:1:0"
    assert any("raise KeyError" in line for line in stored.exception.backtrace)
    stored.retry()
    again = KeptJob.objects.get(pk=job.pk)
    assert again.state == "queued" and again.exception is None and again.completed_at is None
    assert again.failure_count == 1  # history is kept


def test_pause_abort_set_completed_at_and_resume_clears_it() -> None:
    job = KeptJob.create()
    job.pause()
    assert KeptJob.objects.get(pk=job.pk).completed_at is not None
    job.resume()
    assert KeptJob.objects.get(pk=job.pk).completed_at is None
    job.abort()
    assert KeptJob.objects.get(pk=job.pk).completed_at is not None


def test_destroy_on_complete_removes_the_job() -> None:
    job = KeptJob.create(destroy_on_complete=True)
    job.start(worker_name="w:1:0")
    job.complete()
    assert KeptJob.objects(pk=job.pk).count() == 0


def test_transition_on_unsaved_job_saves_it() -> None:
    job = KeptJob(description="new")
    job.pause()
    assert KeptJob.objects.get(pk=job.pk).state == "paused"


def test_expired_and_scheduled_helpers() -> None:
    job = KeptJob.create(expires_at=utc_now() - timedelta(seconds=1))
    assert job.is_expired()
    later = KeptJob.create(run_at=utc_now() + timedelta(hours=1))
    assert later.is_scheduled() and not later.is_expired()
    assert [j.pk for j in KeptJob.expired()] == [job.pk]
    assert [j.pk for j in KeptJob.scheduled()] == [later.pk]
