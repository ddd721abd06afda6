"""``manage.py rocketjob`` as operators use it: run, list, pause, resume, dump, stop."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.job import Job
from rocketjob.runtime.server import Server
from tests.acceptance.workers_support import run_command, run_manage, workers
from tests.helpers import wait_for
from tests.integration.runtime_helpers import completions, performs
from tests.jobsapp.runtime_jobs import RuntimeJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _server(name: str) -> Server | None:
    return Server.objects(name=name).first()


def test_run_control_and_graceful_stop(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    env = rocketjob_db.subprocess_env()
    jobs = [RuntimeJob.create(sleep_seconds=0.05) for _ in range(20)]
    with workers(["--workers", "3", "--name", "acc-cli"], env, tmp_path / "w.log") as worker:
        wait_for(lambda: all(Job.load(j.pk).state == "completed" for j in jobs), timeout=60)
        listed = run_command(["--list"], env)
        assert listed.returncode == 0, listed.stderr
        assert "acc-cli" in listed.stdout and "running" in listed.stdout

        paused = run_command(["--pause", "acc"], env)
        assert paused.stdout.strip() == "pause -> acc-cli"
        wait_for(lambda: _server("acc-cli").state == "paused", timeout=30)
        held = RuntimeJob.create()
        run_command(["--refresh", "acc-cli"], env)
        wait_for(lambda: _server("acc-cli").heartbeat.workers == 0, timeout=30)
        assert Job.load(held.pk).state == "queued"

        run_command(["--resume"], env)
        wait_for(lambda: Job.load(held.pk).state == "completed", timeout=30)

        run_command(["--dump", "acc-cli"], env)
        wait_for(lambda: "thread dump" in worker.output(), timeout=30)

        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    assert _server("acc-cli") is None
    assert {performs(j.pk) for j in [*jobs, held]} == {1}
    assert {completions(j.pk) for j in [*jobs, held]} == {1}
    output = (tmp_path / "w.log").read_text()
    assert "server started" in output and "server stopped" in output


def test_sigterm_waits_for_the_running_job(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    job = RuntimeJob.create(sleep_seconds=2.0)
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", "acc-term"], env, tmp_path / "w.log") as worker:
        wait_for(lambda: performs(job.pk) == 1, timeout=60)
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    assert Job.load(job.pk).state == "completed"
    assert (performs(job.pk), completions(job.pk)) == (1, 1)


def test_stop_event_from_the_cli(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", "acc-stop"], env, tmp_path / "w.log") as worker:
        wait_for(lambda: _server("acc-stop") is not None, timeout=60)
        result = run_command(["--stop", "acc-stop"], env)
        assert result.returncode == 0, result.stderr
        assert worker.wait() == 0
    assert Server.objects.count() == 0


def test_bad_options_are_reported(rocketjob_db: TestDatabase) -> None:
    env = rocketjob_db.subprocess_env()
    cases = {
        ("--where", "[1]"): "--where must be a JSON object",
        ("--where", "{bad"): "--where is not valid JSON",
        ("--include", "a", "--exclude", "b"): "not both",
        ("--include", "("): "--include is not a valid regular expression",
        ("--workers", "0"): "--workers must be at least 1",
        ("--stop", "nobody"): "no server name contains 'nobody'",
        ("--kill-worker", "nocolon"): "worker_name",
    }
    for args, message in cases.items():
        result = run_command(list(args), env)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)


def test_a_where_filter_the_database_cannot_run_is_refused_at_start(
    rocketjob_db: TestDatabase,
) -> None:
    """It used to be accepted: the supervisor ran forever and never claimed a job."""
    RuntimeJob.create()  # some servers only refuse an operator once a document is compared
    env = rocketjob_db.subprocess_env()
    cases = {
        '{"$bogus": 1}': "--where is not a valid query: unknown operator $bogus",
        '{"priority": {"$bogus": 1}}': "unknown operator $bogus (in priority)",
        '{"$and": 1}': "$and needs a non-empty list of queries",
        '{"$or": [{"a": {"$in": 5}}]}': "$in needs a list (in $or[0].a)",
        '{"$where": "sleep(1000)"}': "$where (server-side JavaScript) is not allowed",
        '{"priority": {"$mod": [0, 0]}}': "--where is refused by the database: ",
    }
    for where, message in cases.items():
        result = run_manage(["rocketjob", "--where", where, "--workers", "1"], env, timeout=30)
        assert result.returncode == 1, (where, result.stderr)
        assert message in result.stderr, (where, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
    assert Server.objects.count() == 0  # refused before any server registered
    env["ROCKETJOB_WHERE_FILTER"] = '{"$bogus": 1}'
    result = run_manage(["rocketjob", "--workers", "1"], env, timeout=30)
    assert result.returncode == 1, result.stderr
    assert "the where_filter setting is not a valid query: unknown operator $bogus" in (
        result.stderr
    )


def test_an_empty_worker_name_is_refused_instead_of_starting_workers(
    rocketjob_db: TestDatabase,
) -> None:
    """``--stop-worker ""`` used to be taken for "no control option" and ran a supervisor."""
    env = rocketjob_db.subprocess_env()
    for option in ("--stop-worker", "--kill-worker"):
        result = run_manage(["rocketjob", option, ""], env, timeout=30)
        assert result.returncode == 1, result.stderr
        assert "worker_name" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert Server.objects.count() == 0


def test_control_commands_without_a_database_fail_in_one_line(
    rocketjob_db: TestDatabase,
) -> None:
    """They skip the system checks (which would report it) and used to print a traceback."""
    env = rocketjob_db.subprocess_env()
    env["ROCKETJOB_TEST_MONGODB_URL"] = "mongodb://127.0.0.1:9"  # nothing listens there
    for args in (["--list"], ["--stop"], ["--destroy-zombies"]):
        result = run_manage(["rocketjob", *args], env, timeout=60)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith("CommandError: cannot reach the database"), result.stderr
        assert "Traceback" not in result.stderr


def test_a_second_server_with_a_live_name_is_refused(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "1", "--name", "acc-dup"], env, tmp_path / "w.log") as first:
        wait_for(lambda: _server("acc-dup") is not None, timeout=60)
        second = run_command(["--workers", "1", "--name", "acc-dup"], env)
        assert second.returncode != 0
        assert "a live server named 'acc-dup' is already registered" in second.stderr
        assert _server("acc-dup").pid == first.pid
        first.signal(signal.SIGTERM)
        assert first.wait() == 0
