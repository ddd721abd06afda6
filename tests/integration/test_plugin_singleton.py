"""Singleton on the real server: refusals, releases, and threads racing to create."""

from __future__ import annotations

import threading

import pytest

from rocketjob import DuplicateJobError, Job, JobValidationError
from tests.claiming import next_claimed_job
from tests.jobsapp.plugin_jobs import SingletonCronJob, SingletonNoopJob, work_next


def test_second_queued_instance_is_refused_naming_the_first() -> None:
    first = SingletonNoopJob.create()
    with pytest.raises(DuplicateJobError) as raised:
        SingletonNoopJob.create(note="second")
    assert str(first.pk) in str(raised.value)
    assert "singleton" in str(raised.value)
    assert raised.value.existing_id == first.pk
    assert isinstance(raised.value, JobValidationError)
    assert SingletonNoopJob.objects.count() == 1


def test_running_and_paused_instances_block() -> None:
    first = SingletonNoopJob.create()
    claimed = next_claimed_job(Job, "host:1:0", _filter())
    assert claimed is not None and claimed.pk == first.pk
    with pytest.raises(DuplicateJobError):
        SingletonNoopJob.create()
    claimed.abort()
    paused = SingletonNoopJob.create()
    paused.pause()
    with pytest.raises(DuplicateJobError):
        SingletonNoopJob.create()


@pytest.mark.parametrize("end", ["complete", "fail", "abort"])
def test_ended_instance_releases_the_class(end: str) -> None:
    first = SingletonNoopJob.create()
    if end == "complete":
        assert work_next() is not None
    else:
        getattr(first, end)()
    first.reload()
    assert first.rocketjob_singleton_key is None
    second = SingletonNoopJob.create()
    assert second.rocketjob_singleton_key == second._class_name


def test_retrying_a_failed_instance_is_refused_while_another_is_queued() -> None:
    failed = SingletonNoopJob.create()
    failed.fail(RuntimeError("first failed"))
    SingletonNoopJob.create()
    with pytest.raises(DuplicateJobError):
        failed.retry()
    failed.reload()
    assert failed.state == "failed"


def test_threads_racing_to_create_get_exactly_one_job() -> None:
    from tests.helpers import race_in_threads

    created, refused = race_in_threads(SingletonNoopJob.create)
    assert len(created) == 1
    assert len(refused) == 7
    assert SingletonNoopJob.objects.count() == 1


def test_threads_racing_to_resume_paused_instances_get_exactly_one() -> None:
    # Two paused instances cannot exist; but a paused one and a failed one can, and both
    # trying to become queued at once must leave exactly one live.
    paused = SingletonNoopJob.create()
    paused.pause()
    paused.abort()
    jobs = []
    for _ in range(4):
        job = SingletonNoopJob.create()
        job.fail(RuntimeError("failed"))
        jobs.append(job)
    outcomes: list[str] = []
    start = threading.Barrier(len(jobs))

    def retry(job: SingletonNoopJob) -> None:
        start.wait()
        try:
            job.retry()
            outcomes.append("queued")
        except DuplicateJobError:
            outcomes.append("refused")

    threads = [threading.Thread(target=retry, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["queued", "refused", "refused", "refused"]
    assert SingletonNoopJob.objects(state="queued").count() == 1
    assert SingletonNoopJob.objects(state="failed").count() == 3


def test_singleton_and_cron_rules_combine() -> None:
    SingletonCronJob.create()
    with pytest.raises(DuplicateJobError, match="singleton"):
        SingletonCronJob.create(cron_schedule="30 * * * *")


def _filter():  # type: ignore[no-untyped-def]
    from rocketjob import ClaimFilter

    return ClaimFilter()


CREATE_SCRIPT = """
import time
from rocketjob import DuplicateJobError
from tests.jobsapp.plugin_jobs import SingletonNoopJob, CronNoopJob
start = float({start!r})
while time.time() < start:
    time.sleep(0.001)
outcome = []
for klass in (SingletonNoopJob, CronNoopJob):
    try:
        klass.create()
        outcome.append("created")
    except DuplicateJobError:
        outcome.append("refused")
print(",".join(outcome))
"""


def test_processes_racing_to_create_get_exactly_one_of_each(rocketjob_db) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import race_in_processes
    from tests.jobsapp.plugin_jobs import CronNoopJob

    outputs = race_in_processes(CREATE_SCRIPT, rocketjob_db.subprocess_env())
    assert sorted(o[0] for o in outputs) == ["created", "refused", "refused", "refused"]
    assert sorted(o[1] for o in outputs) == ["created", "refused", "refused", "refused"]
    assert SingletonNoopJob.objects.count() == 1
    assert CronNoopJob.objects.count() == 1
