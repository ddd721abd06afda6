"""The embedded server: data survives restarts, and processes of one project share it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pymongo

from rocketjob.embedded import DATA_FILE, EmbeddedServer
from rocketjob.embedded_shared import ensure_shared_server, release_shared_server
from tests.helpers import wait_for


def test_data_survives_a_restart(tmp_path: Path) -> None:
    server = EmbeddedServer(data=str(tmp_path / DATA_FILE), work_dir=str(tmp_path)).start()
    port = server.port
    try:
        with pymongo.MongoClient(server.url) as client:
            client.demo.rocketjob_jobs.insert_one({"_id": 1, "state": "queued"})
        server.stop()
        server = EmbeddedServer(data=str(tmp_path / DATA_FILE), work_dir=str(tmp_path), port=port)
        server.start()
        with pymongo.MongoClient(server.url) as client:
            stored = client.demo.rocketjob_jobs.find_one({"_id": 1})
        assert stored == {"_id": 1, "state": "queued"}
    finally:
        server.stop()


SHARE = textwrap.dedent(
    """
    import sys, time
    from rocketjob.embedded_shared import ensure_shared_server
    print(ensure_shared_server(sys.argv[1]), flush=True)
    sys.stdin.readline()
    """
)


def test_processes_share_one_server_and_the_last_one_stops_it(tmp_path: Path) -> None:
    def client_process() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", SHARE, str(tmp_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    first, second = client_process(), client_process()
    assert first.stdout and second.stdout and first.stdin and second.stdin
    url_first, url_second = first.stdout.readline().strip(), second.stdout.readline().strip()
    assert url_first == url_second and url_first.startswith("mongodb://127.0.0.1:")
    first.communicate("\n", timeout=30)
    with pymongo.MongoClient(url_second, serverSelectionTimeoutMS=2000) as client:
        client.admin.command("ping")  # still served for the second process
    second.communicate("\n", timeout=30)

    def stopped() -> bool:
        with pymongo.MongoClient(url_second, serverSelectionTimeoutMS=200) as client:
            try:
                client.admin.command("ping")
            except pymongo.errors.PyMongoError:
                return True
        return False

    wait_for(stopped, timeout=30)
    assert not (tmp_path / "server.json").exists()


def _answers(url: str) -> bool:
    with pymongo.MongoClient(url, serverSelectionTimeoutMS=200) as client:
        try:
            client.admin.command("ping")
        except pymongo.errors.PyMongoError:
            return False
    return True


def test_a_killed_client_does_not_leave_the_server_running(tmp_path: Path) -> None:
    client = subprocess.Popen(
        [sys.executable, "-c", SHARE, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None
    url = client.stdout.readline().strip()
    assert _answers(url)
    client.kill()  # no exit hooks run
    client.communicate(timeout=30)
    wait_for(lambda: not _answers(url), timeout=30)
    wait_for(lambda: not (tmp_path / "server.json").exists(), timeout=30)


def test_in_process_share_and_release(tmp_path: Path) -> None:
    url = ensure_shared_server(tmp_path)
    assert ensure_shared_server(tmp_path) == url
    release_shared_server(tmp_path)
    assert not (tmp_path / "server.json").exists()
