"""``manage.py rocketjob --metrics-port``: a real worker process scraped over HTTP."""

from __future__ import annotations

import signal
import socket
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

from rocketjob.metrics.store import class_series
from tests.acceptance.workers_support import run_command, workers
from tests.helpers import wait_for
from tests.jobsapp.runtime_jobs import RuntimeFailJob, RuntimeJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    except OSError:
        return None  # not listening yet
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_process_endpoint_serves_its_workers_and_counters(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = {**rocketjob_db.subprocess_env(), "ROCKETJOB_METRICS_FLUSH_SECONDS": "0.5"}
    port = _free_port()
    for _ in range(3):
        RuntimeJob.create(sleep_seconds=0.05, priority=10)
    RuntimeFailJob.create(priority=10)
    RuntimeJob.create(sleep_seconds=60, priority=90)  # keeps one worker busy
    args = ["--workers", "2", "--name", "acc-metrics", "--shutdown-timeout", "1"]
    args += ["--metrics-port", str(port)]
    with workers(args, env, tmp_path / "w.log") as worker:
        runtime = (("job_class", "RuntimeJob"),)
        expected = {
            ("rocketjob_process_workers", (("state", "busy"),)): 1,
            ("rocketjob_process_workers", (("state", "idle"),)): 1,
            ("rocketjob_process_jobs_completed_total", runtime): 3,
            ("rocketjob_process_jobs_failed_total", (("job_class", "RuntimeFailJob"),)): 1,
            ("rocketjob_process_job_run_seconds_count", runtime): 3,
            ("rocketjob_process_job_run_seconds_bucket", (*runtime, ("le", "+Inf"))): 3,
            ("rocketjob_process_job_queue_latency_seconds_count", runtime): 3,
        }

        def scraped() -> bool:
            samples = _scrape(port)
            return samples is not None and all(samples.get(k) == v for k, v in expected.items())

        wait_for(scraped, timeout=60)
        # The same numbers reach the metrics collection with the next flush.
        since = datetime.now(UTC) - timedelta(minutes=5)
        wait_for(lambda: sum(m.completed for m in class_series(since, job_class="RuntimeJob")) == 3)
        worker.signal(signal.SIGTERM)
        assert worker.wait(60) == 0, worker.output()
    assert _scrape(port) is None  # the endpoint stopped with the process


def test_bad_metrics_ports_are_reported_without_a_traceback(
    rocketjob_db: TestDatabase,
) -> None:
    env = rocketjob_db.subprocess_env()
    result = run_command(["--metrics-port", "70000"], env)
    assert result.returncode != 0
    assert "--metrics-port must be a port number" in result.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_command(["--workers", "1", "--metrics-port", str(port)], env)
    assert result.returncode != 0
    assert f"cannot serve metrics on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
