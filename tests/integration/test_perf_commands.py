"""The benchmark commands, run for real with small counts.

These check what the commands report and what they leave behind, never how fast anything
was: timings on a shared machine are noise (the measured figures live in docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rocketjob.connection import jobs_db
from rocketjob.perf.baseline import INPUT_COLLECTION, OUTPUT_COLLECTION, SIMPLE_COLLECTION
from rocketjob.runtime.server import Server
from tests.acceptance.workers_support import run_manage, workers
from tests.helpers import wait_for

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_manage(args, env, timeout=300)


def _report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _assert_nothing_left() -> None:
    db = jobs_db()
    assert db["rocketjob_jobs"].find_one({"description": {"$regex": "^rocketjob_"}}) is None
    names = set(db.list_collection_names())
    assert not names & {SIMPLE_COLLECTION, INPUT_COLLECTION, OUTPUT_COLLECTION}
    assert not [name for name in names if name.startswith("rocketjob_input_")]
    wait_for(lambda: Server.objects.count() == 0, timeout=60)


def test_rocketjob_perf_starts_servers_and_reports_rates_and_efficiency(
    rocketjob_db: TestDatabase,
) -> None:
    env = rocketjob_db.subprocess_env()
    report = _report(_manage(["rocketjob_perf", "-c", "30", "-w", "2", "-p", "2", "--json"], env))
    assert report["command"] == "rocketjob_perf"
    assert (report["count"], report["workers"], report["processes"]) == (30, 2, 2)
    assert report["options"] == {"servers_started": True}
    assert report["duration_seconds"] > 0
    assert report["jobs_per_second"] > 0
    assert report["baseline"]["jobs_per_second"] > 0
    expected = report["jobs_per_second"] / report["baseline"]["jobs_per_second"]
    assert abs(report["efficiency"] - expected) < 0.01
    _assert_nothing_left()


def test_rocketjob_perf_pauses_and_resumes_running_servers(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "2"], env, tmp_path / "workers.log") as server:
        wait_for(lambda: Server.objects(state="running").count() == 1, timeout=60)
        result = _manage(["rocketjob_perf", "-c", "20", "--no-baseline", "--json"], env)
        report = _report(result)
        assert report["options"] == {"servers_started": False}
        assert (report["workers"], report["processes"]) == (2, 1)
        assert report["baseline"] is None
        assert report["efficiency"] is None
        wait_for(lambda: Server.objects(state="running").count() == 1, timeout=30)
        assert server.process.poll() is None  # still running: the benchmark does not stop it


def test_rocketjob_perf_prints_a_readable_summary(rocketjob_db: TestDatabase) -> None:
    result = _manage(
        ["rocketjob_perf", "-c", "10", "-w", "1", "-p", "1", "--no-progress"],
        env=rocketjob_db.subprocess_env(),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Jobs: 10"
    assert any(line.startswith("jobs_per_second: ") for line in lines)
    assert any(line.startswith("efficiency: ") for line in lines)


def test_rocketjob_batch_perf_reports_records_per_second(rocketjob_db: TestDatabase) -> None:
    env = rocketjob_db.subprocess_env()
    args = ["rocketjob_batch_perf", "-c", "500", "-s", "50", "-w", "2", "-p", "1", "--json"]
    report = _report(_manage([*args, "--compress"], env))
    assert report["command"] == "rocketjob_batch_perf"
    assert report["count"] == 500
    assert report["options"]["slice_size"] == 50
    assert report["options"]["compress"] is True
    assert report["records_per_second"] > 0
    assert report["baseline"]["records_per_second"] > 0
    assert report["efficiency"] > 0
    _assert_nothing_left()


def test_rocketjob_batch_perf_encrypt_needs_a_key(rocketjob_db: TestDatabase) -> None:
    env = rocketjob_db.subprocess_env()
    env.pop("ROCKETJOB_ENCRYPTION_KEY", None)
    result = _manage(["rocketjob_batch_perf", "-c", "10", "--encrypt"], env)
    assert result.returncode != 0
    assert "encryption_key" in result.stderr
    assert Server.objects.count() == 0


def test_bad_count_is_refused(rocketjob_db: TestDatabase) -> None:
    result = _manage(["rocketjob_perf", "-c", "0"], rocketjob_db.subprocess_env())
    assert result.returncode != 0
    assert "--count" in result.stderr
