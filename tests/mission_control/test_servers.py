"""Server pages, server actions (published as events), zombies and active workers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rocketjob.events.event import Event
from rocketjob.plugins.job.model import utc_now
from rocketjob.runtime.server import ActiveWorker, Heartbeat, Server
from tests.mission_control import factories

SERVERS = "/admin/mission_control/server/"


def make_server(name: str, state: str = "running", zombie: bool = False) -> Server:
    server = Server.register(name, max_workers=4)
    server.set_state(state)
    if zombie:
        old = Heartbeat(updated_at=utc_now() - timedelta(hours=1))
        Server._get_collection().update_one(
            {"_id": server.pk}, {"$set": {"heartbeat": old.to_mongo()}}
        )
    return server


def events() -> list[tuple[str, str | None]]:
    return [(e.action, e.server_name) for e in Event.objects.order_by("created_at")]


@pytest.fixture
def servers() -> dict[str, Server]:
    return {
        "running": make_server("web1:100"),
        "paused": make_server("web2:200", "paused"),
        "stopping": make_server("web3:300", "stopping"),
        "zombie": make_server("dead:400", zombie=True),
    }


def test_servers_listed_by_state_with_counts(make_client, servers):
    client = make_client("view")
    html = client.get(SERVERS).content.decode()
    for server in servers.values():
        assert f'data-server="{server.name}"' in html
    assert "0 / 4" in html
    zombies = client.get(f"{SERVERS}state/zombie/").content.decode()
    assert 'data-server="dead:400"' in zombies and 'data-server="web1:100"' not in zombies
    running = client.get(f"{SERVERS}state/running/").content.decode()
    assert 'data-server="web1:100"' in running and 'data-server="dead:400"' not in running
    assert client.get(f"{SERVERS}state/bogus/").status_code == 404


def test_viewer_sees_no_server_actions(make_client, servers):
    client = make_client("view")
    html = client.get(SERVERS).content.decode()
    assert "data-action=" not in html and "Destroy zombies" not in html
    assert client.post(f"{SERVERS}action/pause/", {"name": "web1:100"}).status_code == 403
    assert client.post(f"{SERVERS}destroy-zombies/").status_code == 403
    assert events() == []


def test_manager_cannot_operate_servers(make_client, servers):
    client = make_client("manager")
    assert (
        client.post(f"{SERVERS}action/stop/", {"name": "web1:100", "post": "yes"}).status_code
        == 403
    )


def test_buttons_follow_server_state(make_client, servers):
    html = make_client("operator").get(SERVERS).content.decode()
    rows = {
        name: html.split(f'data-server="{name}"')[1].split("</tr>")[0]
        for name in ("web1:100", "web2:200", "web3:300", "dead:400")
    }
    assert (
        'data-action="pause"' in rows["web1:100"] and 'data-action="resume"' not in rows["web1:100"]
    )
    assert 'data-action="resume"' in rows["web2:200"]
    assert 'data-action="stop"' not in rows["web3:300"]
    assert (
        rows["dead:400"].count("data-action=") == 1 and 'data-action="destroy"' in rows["dead:400"]
    )


def test_pause_publishes_an_event(make_client, servers):
    response = make_client("operator").post(f"{SERVERS}action/pause/", {"name": "web1:100"})
    assert response.status_code == 302
    assert events() == [("pause", "web1:100")]


def test_stop_and_kill_confirm_first(make_client, servers):
    client = make_client("operator")
    response = client.post(f"{SERVERS}action/stop/", {"name": "web1:100"})
    assert response.status_code == 200 and "Stop 1 server?" in response.content.decode()
    assert client.get(f"{SERVERS}action/kill/?name=web1:100").status_code == 200
    assert events() == []
    client.post(f"{SERVERS}action/stop/", {"name": "web1:100", "post": "yes"})
    client.post(f"{SERVERS}action/kill/", {"name": "web2:200", "post": "yes"})
    client.post(f"{SERVERS}action/thread_dump/", {"name": "web1:100"})
    assert events() == [("stop", "web1:100"), ("kill", "web2:200"), ("thread_dump", "web1:100")]


def test_bulk_server_action_confirms_then_publishes(make_client, servers):
    client = make_client("operator")
    response = client.post(
        f"{SERVERS}bulk/", {"bulk_action": "resume", "name": ["web1:100", "web2:200"]}
    )
    html = response.content.decode()
    assert "Resume 2 servers?" in html and events() == []
    follow = client.post(
        f"{SERVERS}action/resume/", {"name": ["web1:100", "web2:200"], "post": "yes"}, follow=True
    )
    assert events() == [("resume", "web2:200")]  # web1 is running: not resumable
    assert "cannot be asked to resume while it is running" in follow.content.decode()


def test_destroy_zombie_requeues_its_jobs(make_client, servers):
    job = factories.queued()
    job.start("dead:400:0")
    client = make_client("operator")
    response = client.post(
        f"{SERVERS}action/destroy/", {"name": "dead:400", "post": "yes"}, follow=True
    )
    assert "1 running job(s) re-queued" in response.content.decode()
    assert Server.objects(name="dead:400").count() == 0
    job.reload()
    assert job.state == "queued"


def test_live_server_cannot_be_destroyed(make_client, servers):
    response = make_client("operator").post(
        f"{SERVERS}action/destroy/", {"name": "web1:100", "post": "yes"}, follow=True
    )
    assert "cannot be destroyed while it is running" in response.content.decode()
    assert Server.objects(name="web1:100").count() == 1


def test_destroy_zombies_button(make_client, servers):
    assert "Destroy zombies" in make_client("operator").get(SERVERS).content.decode()
    response = make_client("operator").post(f"{SERVERS}destroy-zombies/", follow=True)
    assert "1 zombie server destroyed." in response.content.decode()
    assert sorted(Server.objects.distinct("name")) == ["web1:100", "web2:200", "web3:300"]


def test_no_destroy_zombies_button_without_zombies(make_client):
    make_server("web1:100")
    assert "Destroy zombies" not in make_client("operator").get(SERVERS).content.decode()


def test_action_on_unknown_server(make_client):
    response = make_client("operator").post(
        f"{SERVERS}action/pause/", {"name": "nope:1"}, follow=True
    )
    assert "no longer registered" in response.content.decode()
    assert (
        make_client("operator").post(f"{SERVERS}action/explode/", {"name": "x"}).status_code == 404
    )


def test_active_workers_longest_first_with_filters(make_client):
    slow = factories.running(description="<b>long</b> one")
    fast = factories.running(description="short one")
    server = make_server("web9:900")
    now = utc_now()
    server.send_heartbeat(
        2,
        [
            ActiveWorker(
                worker_name="web9:900:1",
                job_id=str(fast.pk),
                job_class="Job.NoopJob",
                started_at=now - timedelta(seconds=5),
            ),
            ActiveWorker(
                worker_name="web9:900:0",
                job_id=str(slow.pk),
                job_class="Job.NoopJob",
                started_at=now - timedelta(minutes=10),
            ),
        ],
    )
    make_server("dead:1", zombie=True)
    client = make_client("view")
    html = client.get(f"{SERVERS}workers/").content.decode()
    assert html.index('data-worker="web9:900:0"') < html.index('data-worker="web9:900:1"')
    assert "&lt;b&gt;long&lt;/b&gt; one" in html and "10m" in html
    by_job = client.get(f"{SERVERS}workers/", {"job": str(fast.pk)}).content.decode()
    assert 'data-worker="web9:900:1"' in by_job and 'data-worker="web9:900:0"' not in by_job
    by_server = client.get(f"{SERVERS}workers/", {"server": "dead:1"}).content.decode()
    assert "No busy workers." in by_server


def test_show_workers_button_on_running_job(make_client):
    job = factories.running()
    html = make_client("view").get(f"/admin/mission_control/job/{job.pk}/").content.decode()
    assert f"/admin/mission_control/server/workers/?job={job.pk}" in html


def test_anonymous_cannot_reach_servers():
    from django.test import Client

    response = Client().get(SERVERS)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
