"""RocketJobBackend against the Django Tasks backend contract, with a worker running tasks.

Task functions are module level (the framework requires it) and decorated for the "default"
backend; each test points "default" at RocketJobBackend with override_settings.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from rocketjob import ClaimFilter
from rocketjob.plugins.job.model import utc_now
from rocketjob.tasks import RocketJobBackend, TaskJob, queue_filter, rocketjob_priority
from rocketjob.tasks.compat import (
    TaskContext,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_backends,
    task_enqueued,
    task_finished,
    task_started,
)
from tests.jobsapp.plugin_jobs import work_next

try:
    from django.tasks import default_task_backend, task  # type: ignore[attr-defined]
    from django.tasks.exceptions import InvalidTask as InvalidTaskError
    from django.tasks.exceptions import TaskResultMismatch
except ImportError:
    from django_tasks import default_task_backend, task
    from django_tasks.exceptions import InvalidTaskError, TaskResultMismatch


@task()
def add(a: int, b: int) -> int:
    return a + b


@task()
def echo(value: Any) -> Any:
    return value


@task()
def explode(message: str) -> None:
    raise ValueError(message)


@task()
def exits(code: int) -> None:
    raise SystemExit(code)


@task()
def send_email(address: str) -> str:
    return f"sent to {address}"


def emails() -> Any:
    """send_email on the "emails" queue (a queue must exist when the task is declared)."""
    return send_email.using(queue_name="emails")


@task(takes_context=True)
def with_context(context: TaskContext, tag: str) -> dict[str, Any]:
    return {"id": context.task_result.id, "attempt": context.attempt, "tag": tag}


@task()
async def async_double(value: int) -> int:
    await asyncio.sleep(0)
    return value * 2


TASKS = {
    "default": {
        "BACKEND": "rocketjob.tasks.RocketJobBackend",
        "QUEUES": ["default", "emails"],
    }
}


@pytest.fixture(autouse=True)
def rocketjob_tasks() -> Iterator[None]:
    with override_settings(TASKS=TASKS):
        yield


def run_worker(where: dict[str, Any] | None = None) -> int:
    """Run every due task like a worker would; returns how many ran."""
    ran = 0
    claim_filter = ClaimFilter(where=where or {})
    while work_next("tasks-host:1:0", claim_filter) is not None:
        ran += 1
    return ran


def test_the_configured_backend_is_used() -> None:
    assert isinstance(task_backends["default"], RocketJobBackend)
    assert default_task_backend.alias == "default"
    assert isinstance(add.get_backend(), RocketJobBackend)
    backend = task_backends["default"]
    assert backend.supports_defer and backend.supports_get_result
    assert backend.supports_priority and backend.supports_async_task


def test_enqueue_returns_a_ready_result_stored_as_a_job() -> None:
    result = add.enqueue(1, b=2)
    assert result.status == TaskResultStatus.READY
    assert result.task is add
    assert result.args == [1]
    assert result.kwargs == {"b": 2}
    assert result.backend == "default"
    assert result.enqueued_at is not None
    assert result.started_at is None and result.finished_at is None
    assert result.errors == [] and result.worker_ids == []
    assert not result.is_finished
    with pytest.raises(ValueError, match="not finished"):
        _ = result.return_value
    job = TaskJob.objects.get(pk=result.id)
    assert job.task_path == "tests.integration.test_tasks_backend.add"
    assert job.state == "queued"


def test_result_after_a_worker_ran_it() -> None:
    result = add.enqueue(2, 3)
    assert run_worker() == 1
    fetched = add.get_result(result.id)
    assert fetched.status == TaskResultStatus.SUCCESSFUL
    assert fetched.return_value == 5
    assert fetched.is_finished
    assert fetched.started_at is not None
    assert fetched.finished_at is not None and fetched.finished_at >= fetched.started_at
    assert fetched.last_attempted_at == fetched.started_at
    assert fetched.worker_ids == ["tasks-host:1:0"]
    assert fetched.attempts == 1
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5


def test_return_values_are_json_normalised() -> None:
    result = echo.enqueue({"tuple": (1, 2), "bytes": b"ok", "nested": {"n": None}})
    run_worker()
    assert echo.get_result(result.id).return_value == {
        "tuple": [1, 2],
        "bytes": "ok",
        "nested": {"n": None},
    }


def test_errors_are_readable_through_the_tasks_api() -> None:
    result = explode.enqueue("kaboom")
    run_worker()
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.is_finished
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.exception_class is ValueError
    assert error.exception_class_path == "builtins.ValueError"
    assert "kaboom" in error.traceback
    assert "Traceback" in error.traceback
    with pytest.raises(ValueError, match="failed"):
        _ = result.return_value


def test_retrying_a_failed_task_records_each_attempt() -> None:
    result = explode.enqueue("again")
    run_worker()
    TaskJob.objects.get(pk=result.id).retry()
    assert add.get_backend().get_result(result.id).status == TaskResultStatus.READY
    run_worker()
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert len(result.errors) == 2
    assert result.attempts == 2


def test_aborted_task_is_failed_in_the_tasks_api() -> None:
    result = add.enqueue(1, 1)
    TaskJob.objects.get(pk=result.id).abort()
    result.refresh()
    assert result.status == TaskResultStatus.FAILED


def test_missing_and_invalid_ids() -> None:
    backend = task_backends["default"]
    with pytest.raises(TaskResultDoesNotExist):
        backend.get_result("0123456789abcdef01234567")
    with pytest.raises(TaskResultDoesNotExist):
        backend.get_result("not-an-id")


def test_get_result_of_another_task_is_a_mismatch() -> None:
    result = add.enqueue(1, 2)
    with pytest.raises(TaskResultMismatch):
        echo.get_result(result.id)


def test_priority_orders_execution() -> None:
    low = echo.using(priority=-50).enqueue("low")
    high = echo.using(priority=90).enqueue("high")
    default = echo.enqueue("default")
    order = []
    while (job := work_next("tasks-host:1:0")) is not None:
        order.append(str(job.pk))
    assert order == [high.id, default.id, low.id]
    assert rocketjob_priority(100) == 1
    assert rocketjob_priority(0) == 50
    assert rocketjob_priority(-100) == 99
    assert TaskJob.objects.get(pk=high.id).task_priority == 90


def test_run_after_defers_the_task() -> None:
    later = utc_now() + timedelta(hours=1)
    result = add.using(run_after=later).enqueue(1, 2)
    assert result.task.run_after == later
    assert run_worker() == 0
    job = TaskJob.objects.get(pk=result.id)
    assert job.run_at == later
    job.run_now()
    assert run_worker() == 1
    assert add.get_result(result.id).return_value == 3


def test_naive_run_after_and_unknown_queue_are_invalid() -> None:
    from datetime import datetime

    with pytest.raises(InvalidTaskError):
        add.using(run_after=datetime(2030, 1, 1)).enqueue(1, 2)
    with pytest.raises(InvalidTaskError):
        add.using(queue_name="nope").enqueue(1, 2)
    assert TaskJob.objects.count() == 0


def test_queue_names_map_to_worker_filters() -> None:
    email = emails().enqueue("a@example.com")
    other = add.enqueue(1, 1)
    assert TaskJob.objects.get(pk=email.id).queue_name == "emails"
    assert run_worker(queue_filter("emails")) == 1
    fetched = send_email.get_result(email.id)
    assert fetched.return_value == "sent to a@example.com"
    assert fetched.task.queue_name == "emails"
    assert add.get_result(other.id).status == TaskResultStatus.READY
    assert run_worker(queue_filter("default")) == 1
    assert add.get_result(other.id).status == TaskResultStatus.SUCCESSFUL


def test_queue_filter_can_include_other_jobs() -> None:
    from tests.jobsapp.jobs import NoopJob

    NoopJob.create()
    emails().enqueue("b@example.com")
    add.enqueue(2, 2)
    assert run_worker(queue_filter("emails", include_other_jobs=True)) == 2
    assert TaskJob.objects(state="queued").count() == 1
    with pytest.raises(ValueError):
        queue_filter()


def test_takes_context() -> None:
    result = with_context.enqueue("ctx")
    run_worker()
    value = with_context.get_result(result.id).return_value
    assert value == {"id": result.id, "attempt": 1, "tag": "ctx"}


def test_async_task_and_async_api() -> None:
    async def scenario() -> Any:
        result = await async_double.aenqueue(21)
        return result.id

    result_id = asyncio.run(scenario())
    run_worker()

    async def fetch() -> Any:
        return await async_double.aget_result(result_id)

    assert asyncio.run(fetch()).return_value == 42


def test_signals_are_sent() -> None:
    seen: list[tuple[str, str]] = []

    def receiver(signal_name: str):  # type: ignore[no-untyped-def]
        def receive(sender: Any, task_result: Any, **_: Any) -> None:
            seen.append((signal_name, str(task_result.status)))

        return receive

    receivers = {name: receiver(name) for name in ("enqueued", "started", "finished")}
    task_enqueued.connect(receivers["enqueued"])
    task_started.connect(receivers["started"])
    task_finished.connect(receivers["finished"])
    try:
        add.enqueue(1, 2)
        run_worker()
    finally:
        task_enqueued.disconnect(receivers["enqueued"])
        task_started.disconnect(receivers["started"])
        task_finished.disconnect(receivers["finished"])
    assert seen == [("enqueued", "READY"), ("started", "RUNNING"), ("finished", "SUCCESSFUL")]


def test_get_result_equals_the_enqueued_result() -> None:
    result = add.enqueue(1, b=2)
    assert task_backends["default"].get_result(result.id) == result


def test_system_exit_fails_the_task_without_ending_the_worker() -> None:
    result = exits.enqueue(3)
    follower = add.enqueue(1, 1)
    assert run_worker() == 2
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class is SystemExit
    assert result.errors[0].traceback.endswith("SystemExit: 3\n")
    assert add.get_result(follower.id).return_value == 2


def test_a_job_naming_a_plain_callable_is_refused() -> None:
    from django.core.exceptions import SuspiciousOperation

    result = add.enqueue(1, 2)
    TaskJob.objects(pk=result.id).update(set__task_path="subprocess.check_output")
    with pytest.raises(SuspiciousOperation, match="does not point to a Task"):
        task_backends["default"].get_result(result.id)
    assert run_worker() == 1
    job = TaskJob.objects.get(pk=result.id)
    assert job.state == "failed"
    assert "does not point to a Task" in job.exception.message


def test_a_task_path_outside_the_project_is_refused_without_importing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check comes first: importing the module would already run its code."""
    from django.core.exceptions import SuspiciousOperation

    marker = tmp_path / "imported"
    module = "rocketjob_test_side_effect"
    (tmp_path / f"{module}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # importable, so only the check can stop it
    result = add.enqueue(1, 2)
    TaskJob.objects(pk=result.id).update(set__task_path=f"{module}.add")
    with pytest.raises(SuspiciousOperation, match="it was not imported"):
        task_backends["default"].get_result(result.id)
    assert run_worker() == 1
    job = TaskJob.objects.get(pk=result.id)
    assert job.state == "failed"
    assert f"module {module!r}, which is not loaded" in job.exception.message
    assert not marker.exists()
    assert module not in sys.modules
    listed = {**settings.ROCKETJOB, "task_modules": [module]}
    try:
        with (
            override_settings(ROCKETJOB=listed),
            pytest.raises(SuspiciousOperation, match="does not point to a Task"),
        ):
            task_backends["default"].get_result(result.id)
    finally:
        sys.modules.pop(module, None)
    assert marker.read_text() == "ran"  # listed in task_modules: imported, then refused


def test_a_stored_exception_class_outside_the_project_is_not_imported(tmp_path: Path) -> None:
    from bson import ObjectId

    marker = tmp_path / "imported"
    module = "rocketjob_test_error_side_effect"
    (tmp_path / f"{module}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
        "class Boom(Exception):\n    pass\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        result = explode.enqueue("boom")
        run_worker()
        stored = TaskJob._get_collection().find_one({"_id": ObjectId(result.id)})
        records = [*stored["task_errors"], {"exception_class_path": f"{module}.Boom"}]
        TaskJob._get_collection().update_one(
            {"_id": stored["_id"]}, {"$set": {"task_errors": records}}
        )
        errors = task_backends["default"].get_result(result.id).errors
        assert errors[0].exception_class is ValueError  # what the task really raised
        with pytest.raises(ValueError, match="was not imported"):
            _ = errors[-1].exception_class
        assert not marker.exists()
        assert module not in sys.modules
    finally:
        sys.path.remove(str(tmp_path))


def test_enqueue_and_worker_signals_log_like_other_backends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    # The framework's signal handlers log to its package's logger: "django.tasks" on
    # Django 6, "django_tasks" for the backport.
    framework_logger = TaskContext.__module__.rpartition(".")[0]
    with caplog.at_level(logging.DEBUG, logger=framework_logger):
        result = add.enqueue(2, 2)
        run_worker()
    messages = [r.getMessage() for r in caplog.records if r.name == framework_logger]
    assert any("enqueued" in m and result.id in m for m in messages)
    assert any("RUNNING" in m and result.id in m for m in messages)
    assert any("SUCCESSFUL" in m and result.id in m for m in messages)
