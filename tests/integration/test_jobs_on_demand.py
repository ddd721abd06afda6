"""OnDemandJob: only registered callables run, by name, with JSON arguments."""

from __future__ import annotations

import pytest

from rocketjob import JobValidationError
from rocketjob.jobs import OnDemandJob, UnknownCallableError, on_demand, registered_callables
from tests.jobsapp.plugin_jobs import add_numbers, work_next


def test_runs_a_registered_callable_and_keeps_the_result() -> None:
    job = OnDemandJob.create(callable_name="tests.add_numbers", arguments={"a": 2, "b": 40})
    assert work_next() is not None
    job.reload()
    assert job.state == "completed"
    assert job.result == 42


def test_default_name_is_the_dotted_path_and_job_is_passed_when_asked() -> None:
    name = "tests.jobsapp.plugin_jobs.describe_job"
    assert name in registered_callables()
    job = OnDemandJob.create(callable_name=name, arguments={"suffix": "!"})
    work_next()
    job.reload()
    assert job.result == "OnDemandJob!"


def test_unknown_names_are_refused_and_never_evaluated() -> None:
    with pytest.raises(JobValidationError, match="no on-demand callable is registered as"):
        OnDemandJob.create(callable_name="__import__('os').system('true')")
    with pytest.raises(JobValidationError, match=r"tests\.add_numbers"):  # lists what exists
        OnDemandJob.create(callable_name="os.system")
    assert OnDemandJob.objects.count() == 0


def test_a_worker_without_the_registration_fails_the_job_cleanly() -> None:
    job = OnDemandJob.create(callable_name="tests.add_numbers", arguments={"a": 1, "b": 1})
    OnDemandJob.objects(pk=job.pk).update(set__callable_name="tests.removed_since")
    assert work_next() is not None
    job.reload()
    assert job.state == "failed"  # retry_limit = 0: not retried
    assert job.exception.class_name.endswith("UnknownCallableError")


def test_bad_arguments_fail_the_job_with_the_error() -> None:
    job = OnDemandJob.create(callable_name="tests.add_numbers", arguments={"a": 1})
    work_next()
    job.reload()
    assert job.state == "failed"
    assert "missing 1 required positional argument" in job.exception.message


def test_registration_conflicts_are_refused() -> None:
    def other(a: int, b: int) -> int:
        return a * b

    with pytest.raises(ValueError, match="already registered"):
        on_demand("tests.add_numbers")(other)
    assert on_demand("tests.add_numbers")(add_numbers) is add_numbers
    with pytest.raises(UnknownCallableError):
        from rocketjob.jobs.on_demand import lookup

        lookup("nope")


def test_repeats_on_a_cron_schedule() -> None:
    job = OnDemandJob.create(
        callable_name="tests.add_numbers", arguments={"a": 1, "b": 2}, cron_schedule="0 * * * *"
    )
    job.run_now()
    from rocketjob.runtime.server import Server

    Server.register("test-host:1", max_workers=1)
    work_next()
    following = OnDemandJob.objects.get(state="queued")
    assert following.arguments == {"a": 1, "b": 2}
    assert following.callable_name == "tests.add_numbers"


@pytest.mark.parametrize("schedule", ["0 0 30 2 *", "0 0 31 4 *"])
def test_create_refuses_a_cron_schedule_that_never_fires(schedule: str) -> None:
    with pytest.raises(JobValidationError, match="cron_schedule") as raised:
        OnDemandJob.create(callable_name="tests.add_numbers", cron_schedule=schedule)
    assert "never fires" in str(raised.value)
    assert OnDemandJob.objects.count() == 0
