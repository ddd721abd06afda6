"""The benchmark commands, run for real with small counts.

These check what the commands report and what they leave behind, never how fast anything
was: timings on a shared machine are noise (the measured figures live in docs/performance.md).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rocketjob.connection import jobs_db
from rocketjob.perf.baseline import INPUT_COLLECTION, OUTPUT_COLLECTION, SIMPLE_COLLECTION
from rocketjob.perf.cpu import cpu_seconds, local_server_pid
from rocketjob.runtime.server import Server
from tests import server as test_server
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


def test_rocketjob_perf_keep_completed_runs_against_a_larger_collection(
    rocketjob_db: TestDatabase,
) -> None:
    env = rocketjob_db.subprocess_env()
    jobs = jobs_db()["rocketjob_jobs"]
    jobs.insert_one({"_cls": "Job.SimpleJob", "state": "completed", "description": "mine"})
    args = ["rocketjob_perf", "-c", "20", "-w", "2", "-p", "1", "--keep-completed", "300"]
    report = _report(_manage([*args, "--json"], env))
    assert report["options"] == {
        "servers_started": True,
        "keep_completed": 300,
        "collection_documents": 321,  # the kept jobs, the run's, and the one already there
    }
    assert report["count"] == 20
    assert report["baseline"]["jobs_per_second"] > 0  # its count excludes the kept jobs
    # The kept jobs are removed afterwards; jobs that were there before stay.
    assert [doc["description"] for doc in jobs.find({}, {"description": 1})] == ["mine"]
    jobs.delete_many({})
    _assert_nothing_left()


def test_keep_completed_must_not_be_negative(rocketjob_db: TestDatabase) -> None:
    result = _manage(["rocketjob_perf", "--keep-completed", "-1"], rocketjob_db.subprocess_env())
    assert result.returncode != 0
    assert "--keep-completed" in result.stderr
    assert Server.objects.count() == 0


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


def _assert_cpu_section(cpu: dict[str, Any], item: str) -> None:
    for side in ("", "baseline_"):
        for part in ("client", "server"):
            assert cpu[f"{side}{part}_us_per_{item}"] > 0, cpu
    for part in ("client", "server"):
        expected = cpu[f"{part}_us_per_{item}"] / cpu[f"baseline_{part}_us_per_{item}"]
        assert abs(cpu[f"{part}_ratio"] - expected) < 0.01 * expected + 0.002


def test_rocketjob_perf_cpu_reports_client_and_server_cpu_per_job(
    rocketjob_db: TestDatabase,
) -> None:
    env = rocketjob_db.subprocess_env()
    args = ["rocketjob_perf", "-c", "60", "-w", "2", "-p", "1", "--cpu", "--json"]
    report = _report(_manage(args, env))
    _assert_cpu_section(report["cpu"], "job")
    _assert_nothing_left()


def test_rocketjob_batch_perf_cpu_reports_cpu_per_record(rocketjob_db: TestDatabase) -> None:
    env = rocketjob_db.subprocess_env()
    args = ["rocketjob_batch_perf", "-c", "2000", "-s", "100", "-w", "2", "-p", "1"]
    report = _report(_manage([*args, "--cpu", "--json"], env))
    _assert_cpu_section(report["cpu"], "record")
    _assert_nothing_left()


def test_without_cpu_the_report_has_no_cpu_figures(rocketjob_db: TestDatabase) -> None:
    args = ["rocketjob_perf", "-c", "5", "-w", "1", "-p", "1", "--no-baseline", "--json"]
    assert _report(_manage(args, rocketjob_db.subprocess_env()))["cpu"] is None


def test_the_local_server_process_is_found_from_its_url() -> None:
    pid = local_server_pid(test_server.test_server_url())
    assert pid is not None and pid != os.getpid()
    seconds = cpu_seconds(pid)
    assert seconds is not None and seconds > 0
    assert local_server_pid("mongodb://db.example.invalid:27017") is None


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
