"""Job-level helpers: pause_all, resume_all, worker_count, fail_on_exception, create_restart."""

from __future__ import annotations

import pytest

from rocketjob import DuplicateJobError
from tests.jobsapp.batch_jobs import EchoBatchJob
from tests.jobsapp.foundation_jobs import KeptJob, PausableJob
from tests.jobsapp.plugin_jobs import CronNoopJob, SingletonNoopJob, work_next


def _states(*jobs) -> list[str]:  # type: ignore[no-untyped-def]
    for job in jobs:
        job.reload()
    return [job.state for job in jobs]


def test_pause_all_pauses_what_can_pause_and_resume_all_brings_it_back() -> None:
    queued = [PausableJob.create(), PausableJob.create()]
    running = PausableJob.create()  # checkpoints = True: may pause while running
    running.start("host:1:0")
    plain_running = KeptJob.create()
    plain_running.start("host:1:1")
    other_class = KeptJob.create()
    assert PausableJob.pause_all() == 3
    assert _states(*queued, running) == ["paused", "paused", "paused"]
    assert _states(plain_running, other_class) == ["running", "queued"]  # untouched
    assert KeptJob.pause_all() == 1  # the queued one; the running plain job cannot pause
    assert _states(plain_running, other_class) == ["running", "paused"]

    assert PausableJob.resume_all() == 3
    assert _states(*queued, running) == ["queued", "queued", "running"]
    assert other_class.state == "paused"  # another class: not resumed
    assert PausableJob.resume_all() == 0


def test_worker_count_of_a_plain_job() -> None:
    job = KeptJob.create()
    assert job.worker_count() == 0
    job.start("host:1:0")
    assert job.worker_count() == 1
    job.complete()
    assert job.worker_count() == 0


def test_worker_count_of_a_batch_job_is_its_running_slices() -> None:
    job = EchoBatchJob.create_from_upload([str(i) for i in range(30)])  # 3 slices
    assert job.worker_count() == 0
    job.start("host:1:0")
    slices = job.input()
    assert slices.claim("host:1:1") is not None
    assert slices.claim("host:2:0") is not None
    assert job.worker_count() == 2


def test_fail_on_exception_fails_the_job_and_swallows_or_reraises() -> None:
    job = KeptJob.create()
    with job.fail_on_exception():
        raise ValueError("bad input file")
    job.reload()
    assert (job.state, job.exception.class_name) == ("failed", "ValueError")
    assert job.exception.message == "bad input file"

    other = KeptJob.create()
    with pytest.raises(KeyError), other.fail_on_exception(reraise=True):
        raise KeyError("missing")
    assert _states(other) == ["failed"]

    untouched = KeptJob.create()
    with untouched.fail_on_exception():
        pass
    assert _states(untouched) == ["queued"]


def test_fail_on_exception_as_a_decorator_and_on_a_job_that_cannot_fail() -> None:
    job = KeptJob.create()

    @job.fail_on_exception()
    def prepare() -> None:
        raise RuntimeError("prepare failed")

    prepare()
    assert _states(job) == ["failed"]
    job.abort()
    with job.fail_on_exception():  # aborted: cannot fail; logged, left alone
        raise RuntimeError("late")
    assert _states(job) == ["aborted"]


def test_create_restart_copies_the_copy_on_restart_fields() -> None:
    job = CronNoopJob.create(note="kept", scratch="not copied", priority=20)
    job.abort()  # releases its cron key
    again = job.create_restart()
    assert again.pk != job.pk and again.state == "queued"
    assert (again.note, again.priority, again.cron_schedule) == ("kept", 20, "*/5 * * * *")
    assert again.scratch is None
    third = again.create_restart(note="override", cron_schedule="0 * * * *")
    assert (third.note, third.cron_schedule) == ("override", "0 * * * *")


def test_create_restart_respects_exclusive_rules() -> None:
    job = SingletonNoopJob.create()
    with pytest.raises(DuplicateJobError):
        job.create_restart()
    assert work_next() is not None  # completes it: the class is free again
    assert job.create_restart().state == "queued"
