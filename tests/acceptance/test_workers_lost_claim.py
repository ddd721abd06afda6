"""A claim applied by the database whose reply never reaches the worker.

A real ``manage.py rocketjob`` process talks to the database through ``tests.proxy``, which
loses the reply to the first claim that took a job (or slice). The job is then running
under a worker name of a live, heartbeating server:

* ``close``: the connection drops; the worker sees the error and re-queues its own claims;
* ``retry``: the reply the worker gets is that of a second execution of the claim (a
  driver's transparent retry on a server that does not deduplicate it), so the worker never
  learns of the first job. Only the server's heartbeat check finds it (it runs no such job).

Either way the job must complete exactly once, within a few heartbeats (1 s in the tests).
"""

from __future__ import annotations

import io
import signal
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from rocketjob.connection import jobs_db
from rocketjob.job import Job
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions, performs
from tests.jobsapp.batch_jobs import FailingRecordJob
from tests.jobsapp.runtime_jobs import RuntimeJob
from tests.proxy import losing_proxy
from tests.server import test_server_url as database_url

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


@pytest.mark.parametrize("mode", ["close", "retry"])
def test_a_job_whose_claim_reply_was_lost_completes_once(
    rocketjob_db: TestDatabase, tmp_path: Path, mode: str
) -> None:
    job = RuntimeJob.create()
    later = RuntimeJob.create()
    upstream = urlsplit(database_url()).port
    assert upstream is not None
    with losing_proxy(upstream, drop_claims=1, mode=mode) as proxy:
        env = rocketjob_db.subprocess_env()
        env["ROCKETJOB_TEST_MONGODB_URL"] = proxy.url
        args = ["--workers", "1", "--name", "acc-lost"]
        with workers(args, env, tmp_path / "w.log") as worker:
            wait_for(lambda: proxy.dropped, timeout=60)
            assert [(d.job_id, d.worker_name) for d in proxy.dropped] == [(job.pk, "acc-lost:0")]
            # Heartbeats are 1 s in the test settings: recovered within a few of them.
            wait_for(lambda: Job.load(job.pk).state == "completed", timeout=20)
            wait_for(lambda: Job.load(later.pk).state == "completed", timeout=20)
            worker.signal(signal.SIGTERM)
            assert worker.wait() == 0
    for each in (job, later):
        assert (performs(each.pk), completions(each.pk)) == (1, 1)
    assert "re-queued" in worker.output()


def test_a_slice_whose_claim_reply_was_lost_is_processed_once(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    job = FailingRecordJob.create_from_upload(list(range(1, 21)))  # 4 slices of 5
    upstream = urlsplit(database_url()).port
    assert upstream is not None
    with losing_proxy(upstream, drop_claims=1, mode="retry", target="rocketjob_input") as proxy:
        env = rocketjob_db.subprocess_env()
        env["ROCKETJOB_TEST_MONGODB_URL"] = proxy.url
        args = ["--workers", "1", "--name", "acc-slice"]
        with workers(args, env, tmp_path / "w.log") as worker:
            wait_for(lambda: proxy.dropped, timeout=60)
            assert [d.worker_name for d in proxy.dropped] == ["acc-slice:0"]
            wait_for(lambda: Job.load(job.pk).state == "completed", timeout=30)
            worker.signal(signal.SIGTERM)
            assert worker.wait() == 0
    performed = Counter(
        doc["record"] for doc in jobs_db()["test_batch_performs"].find({"job_id": str(job.pk)})
    )
    assert performed == Counter(range(1, 21))  # every record once: none lost, none twice
    out = io.StringIO()
    assert Job.load(job.pk).download(out) == 20
    assert out.getvalue().splitlines() == [str(n * 10) for n in range(1, 21)]
    assert "re-queued a slice" in worker.output()
