"""Server registration, heartbeats and zombie destruction against the real server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rocketjob.plugins.job.model import utc_now
from rocketjob.runtime import health
from rocketjob.runtime.server import (
    ActiveWorker,
    Server,
    ServerNameInUseError,
    default_server_name,
    server_of_worker,
)
from tests.jobsapp.jobs import NoopJob


def _make_stale(server: Server, seconds: float = 3600) -> None:
    stale = utc_now() - timedelta(seconds=seconds)
    Server._get_collection().update_one(
        {"_id": server.pk}, {"$set": {"heartbeat": {"updated_at": stale, "workers": 0}}}
    )


def _running_job(worker_name: str) -> NoopJob:
    job = NoopJob.create()
    NoopJob._get_collection().update_one(
        {"_id": job.pk}, {"$set": {"state": "running", "worker_name": worker_name}}
    )
    return job


def test_register_heartbeat_and_unregister_requeues_jobs() -> None:
    server = Server.register("host-a:1", max_workers=3)
    job = _running_job("host-a:1:0")
    active = [ActiveWorker(worker_name="host-a:1:0", job_id=str(job.pk), job_class="NoopJob")]
    assert server.send_heartbeat(workers=3, active=active)
    stored = Server.objects.get(name="host-a:1")
    assert stored.heartbeat.workers == 3
    assert stored.heartbeat.active_workers == 1
    assert stored.heartbeat.active[0].job_id == str(job.pk)
    assert not stored.is_zombie()
    assert server.unregister() == 1
    assert Server.objects(name="host-a:1").count() == 0
    job.reload()
    assert (job.state, job.worker_name) == ("queued", None)


def test_heartbeat_reports_a_deleted_server() -> None:
    server = Server.register("host-b:1", max_workers=1)
    Server.objects(name="host-b:1").delete()
    assert server.send_heartbeat(workers=1, active=[]) is False


def test_custom_name_of_a_live_server_is_refused_but_a_zombie_is_taken_over() -> None:
    first = Server.register("custom", max_workers=1)
    with pytest.raises(ServerNameInUseError, match="custom"):
        Server.register("custom", max_workers=1)
    job = _running_job("custom:0")
    _make_stale(first)
    second = Server.register("custom", max_workers=2)
    assert second.pk != first.pk
    job.reload()
    assert job.state == "queued"


def test_default_name_is_taken_over_even_when_fresh() -> None:
    Server.register(default_server_name(), max_workers=1)
    again = Server.register(default_server_name(), max_workers=4)
    assert Server.objects.get(name=default_server_name()).pk == again.pk


def test_destroy_zombies_requeues_only_zombie_jobs() -> None:
    health.reset()
    live = Server.register("live:1", max_workers=1)
    zombie = Server.register("dead:1", max_workers=1)
    _make_stale(zombie)
    live_job = _running_job("live:1:0")
    dead_job = _running_job("dead:1:0")
    assert Server.destroy_zombies() == 1
    assert Server.destroy_zombies() == 0
    assert [s.name for s in Server.objects] == [live.name]
    dead_job.reload()
    live_job.reload()
    assert dead_job.state == "queued"
    assert live_job.state == "running"


def test_orphaned_jobs_of_unregistered_servers_are_requeued() -> None:
    health.reset()
    Server.register("live:2", max_workers=1)
    orphan = _running_job("gone:7:3")
    kept = _running_job("live:2:0")
    other = _running_job("inline")
    assert Server.requeue_orphans() == 1
    orphan.reload()
    kept.reload()
    other.reload()
    assert (orphan.state, kept.state, other.state) == ("queued", "running", "running")


def test_zombie_check_waits_after_a_database_failure() -> None:
    zombie = Server.register("dead:2", max_workers=1)
    _make_stale(zombie)
    health.record_failure()
    try:
        assert Server.destroy_zombies() == 0
        assert Server.objects(name="dead:2").count() == 1
    finally:
        health.reset()
    assert Server.destroy_zombies() == 1


def test_server_of_worker() -> None:
    assert server_of_worker("h:12:3") == "h:12"
    assert server_of_worker("inline") is None
    assert server_of_worker("h:12:x") is None
    assert server_of_worker(None) is None


def test_custom_name_held_by_an_exited_process_on_this_host_is_taken_over() -> None:
    import subprocess

    exited = subprocess.Popen(["true"])
    exited.wait()
    first = Server.register("restarted-child", max_workers=1)
    Server._get_collection().update_one({"_id": first.pk}, {"$set": {"pid": exited.pid}})
    job = _running_job("restarted-child:0")
    second = Server.register("restarted-child", max_workers=1)
    assert second.pk != first.pk
    job.reload()
    assert job.state == "queued"
