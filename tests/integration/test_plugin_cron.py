"""Cron on the real server: validation, run_at, next instances, and the cron singleton races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from rocketjob import ClaimFilter, DuplicateJobError, Job, JobValidationError
from rocketjob.plugins.job.model import utc_now
from rocketjob.plugins.schedule import CronSchedule
from tests.claiming import next_claimed_job
from tests.jobsapp.plugin_jobs import CronEndJob, CronNoopJob, work_next


def test_invalid_schedule_is_refused_naming_it() -> None:
    with pytest.raises(JobValidationError, match="'every tuesday'"):
        CronNoopJob.create(cron_schedule="every tuesday")
    with pytest.raises(JobValidationError, match="unknown time zone 'Nowhere/Land'"):
        CronNoopJob.create(cron_schedule="0 2 * * * Nowhere/Land")
    assert CronNoopJob.objects.count() == 0


def test_create_sets_run_at_to_the_next_time_in_the_schedule_zone() -> None:
    before = utc_now()
    job = CronEndJob.create()
    expected = CronSchedule.parse("0 2 * * * Europe/London").next_time(before)
    assert job.run_at == expected
    assert CronEndJob.objects.get(pk=job.pk).run_at == expected
    assert job.is_scheduled()


def test_explicit_run_at_is_kept_and_schedule_change_moves_run_at() -> None:
    soon = utc_now() + timedelta(seconds=5)
    job = CronNoopJob.create(run_at=soon)
    assert job.run_at == soon
    job.cron_schedule = "15 3 * * *"
    job.save()
    stored = CronNoopJob.objects.get(pk=job.pk)
    assert stored.run_at == CronSchedule.parse("15 3 * * *").next_time()
    assert stored.rocketjob_cron_key == f"{job._class_name}|15 3 * * *"


def test_start_creates_the_next_instance_with_copy_on_restart_fields() -> None:
    job = CronNoopJob.create(note="keep me", scratch="not copied", priority=20)
    job.run_now()
    ran = work_next()
    assert ran is not None and ran.pk == job.pk
    job.reload()
    assert job.state == "completed"
    assert job.cron_schedule == ""
    assert job.rocketjob_cron_key is None
    following = CronNoopJob.objects.get(state="queued")
    assert following.pk != job.pk
    assert following.cron_schedule == "*/5 * * * *"
    assert following.note == "keep me"
    assert following.priority == 20
    assert following.scratch is None
    assert following.run_at > utc_now()


def test_after_end_creates_the_next_instance_only_when_the_job_ends() -> None:
    job = CronEndJob.create(should_fail=True)
    job.run_now()
    claimed = next_claimed_job(Job, "host:1:0", ClaimFilter())
    assert claimed is not None
    claimed.rocketjob_start_claimed()
    assert CronEndJob.objects.count() == 1  # nothing created on start
    claimed.rocketjob_fail_safely(RuntimeError("failed"), "host:1:0")
    job.reload()
    assert job.state == "failed"
    assert job.cron_schedule == ""  # cleared in the same update as the failure
    following = CronEndJob.objects.get(state="queued")
    assert following.cron_schedule == "0 2 * * * Europe/London"
    assert following.should_fail is True


@pytest.mark.parametrize("end", ["complete", "abort"])
def test_after_end_on_complete_and_abort(end: str) -> None:
    job = CronEndJob.create()
    if end == "complete":
        job.run_now()
        assert work_next() is not None
    else:
        job.abort()
    assert CronEndJob.objects(state="queued").count() == 1
    assert CronEndJob.objects.get(pk=job.pk).cron_schedule == ""


def test_failed_instance_blocks_a_second_one_with_the_same_schedule() -> None:
    job = CronEndJob.create()
    job.cron_schedule = ""  # detach it from the chain, then fail it with a schedule
    job.save()
    job.cron_schedule = "0 2 * * * Europe/London"
    job.save()
    CronEndJob.objects(pk=job.pk).update(set__state="failed")  # as a crashed chain would be
    job.reload()
    job.save()  # recompute the key in the failed state
    with pytest.raises(DuplicateJobError, match="already exists"):
        CronEndJob.create()
    assert CronEndJob.create(cron_schedule="0 3 * * *").pk is not None


def test_same_class_other_schedule_is_allowed() -> None:
    CronNoopJob.create()
    CronNoopJob.create(cron_schedule="0 * * * *")
    with pytest.raises(DuplicateJobError):
        CronNoopJob.create(cron_schedule="0  *  * * *")  # same schedule, other spacing


def test_inline_perform_now_does_not_schedule() -> None:
    job = CronNoopJob.build()
    job.perform_now()
    assert CronNoopJob.objects.count() == 0


def test_threads_racing_to_create_get_exactly_one_instance() -> None:
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def create(_index: int) -> None:
        start.wait()
        try:
            CronNoopJob.create()
            outcomes.append("created")
        except DuplicateJobError:
            outcomes.append("refused")

    _run_threads(create, 8)
    assert outcomes.count("created") == 1
    assert outcomes.count("refused") == 7
    assert CronNoopJob.objects.count() == 1


def test_workers_racing_run_it_once_and_leave_one_next_instance() -> None:
    job = CronNoopJob.create()
    job.run_now()
    ran: list[object] = []
    start = threading.Barrier(6)

    def worker(index: int) -> None:
        start.wait()
        done = work_next(f"race-host:1:{index}")
        if done is not None:
            ran.append(done.pk)

    _run_threads(worker, 6)
    assert ran == [job.pk]
    assert CronNoopJob.objects(state="queued").count() == 1
    assert CronNoopJob.objects(state="completed").count() == 1


def test_restarting_the_chain_while_the_next_exists_logs_instead_of_failing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = CronNoopJob.create()
    job.run_now()
    # Someone removed the key and created the next instance by hand meanwhile.
    CronNoopJob.objects(pk=job.pk).update(unset__rocketjob_cron_key=True)
    CronNoopJob.create()
    assert work_next() is not None
    job.reload()
    assert job.state == "completed"
    assert CronNoopJob.objects(state="queued").count() == 1
    assert "next cron instance not created" in caplog.text


def _run_threads(target, count: int) -> None:  # type: ignore[no-untyped-def]
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
