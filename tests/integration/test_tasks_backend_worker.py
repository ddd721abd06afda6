"""Tasks enqueued here, run by a real ``manage.py rocketjob`` worker process limited to one
queue with ``--where``; results and errors read back through the Tasks API."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from rocketjob.tasks import queue_filter
from rocketjob.tasks.compat import TaskResultStatus
from tests import conftest
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.integration.test_tasks_backend import TASKS, add, emails, explode

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def rocketjob_tasks() -> Iterator[None]:
    with override_settings(TASKS=TASKS):
        yield


def test_a_worker_process_runs_one_queue_and_results_are_readable(
    rocketjob_db: conftest.TestDatabase, tmp_path: Path
) -> None:
    email = emails().enqueue("c@example.com")
    total = add.enqueue(20, 22)
    failing = explode.enqueue("worker boom")
    where = json.dumps(queue_filter("emails"))
    args = ["--workers", "2", "--name", "tasks-emails", "--where", where]
    with workers(args, rocketjob_db.subprocess_env(), tmp_path / "emails.log") as worker:
        wait_for(lambda: _finished(email), timeout=60)
        assert email.status == TaskResultStatus.SUCCESSFUL
        assert email.return_value == "sent to c@example.com"
        assert email.worker_ids[0].startswith("tasks-emails:")
        total.refresh()
        assert total.status == TaskResultStatus.READY  # other queue: not this worker's
        worker.signal(signal.SIGTERM)
        assert worker.wait(60) == 0
    args = [
        "--workers",
        "2",
        "--name",
        "tasks-default",
        "--where",
        json.dumps(queue_filter("default")),
    ]
    with workers(args, rocketjob_db.subprocess_env(), tmp_path / "default.log") as worker:
        wait_for(lambda: _finished(total) and _finished(failing), timeout=60)
        assert total.return_value == 42
        assert failing.status == TaskResultStatus.FAILED
        assert failing.errors[0].exception_class is ValueError
        assert "worker boom" in failing.errors[0].traceback
        worker.signal(signal.SIGTERM)
        assert worker.wait(60) == 0


def _finished(result) -> bool:  # type: ignore[no-untyped-def]
    result.refresh()
    return bool(result.is_finished)
