"""Running a Supervisor on a thread of the test process."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from rocketjob.connection import jobs_db
from rocketjob.runtime.supervisor import Supervisor, SupervisorOptions
from tests.helpers import wait_for
from tests.jobsapp.runtime_jobs import COMPLETIONS, PERFORMS


@contextlib.contextmanager
def running_supervisor(**options: object) -> Iterator[Supervisor]:
    options.setdefault("name", "itest:1")
    options.setdefault("max_workers", 2)
    options.setdefault("shutdown_timeout", 20.0)
    supervisor = Supervisor(SupervisorOptions(**options))  # type: ignore[arg-type]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            supervisor.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name="test-supervisor", daemon=True)
    thread.start()
    wait_for(lambda: supervisor.started.is_set() or supervisor.stopped.is_set())
    assert supervisor.started.is_set(), f"supervisor did not start: {errors}"
    try:
        yield supervisor
    finally:
        supervisor.request_stop("test finished")
        thread.join(60)
        assert not thread.is_alive(), "supervisor did not stop"
    assert not errors, errors


# Job ids are stored as strings: the embedded server does not match ObjectId values in
# fields other than _id (see the report).
def performs(job_id: object) -> int:
    return jobs_db()[PERFORMS].count_documents({"job_id": str(job_id)})


def completions(job_id: object) -> int:
    return jobs_db()[COMPLETIONS].count_documents({"job_id": str(job_id)})
