"""Mission Control's Prometheus URL: what it serves, parsed with prometheus_client, and who
may read it (staff with view_job, or a scraper with the bearer token)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from rocketjob.metrics.store import MinuteMetrics, minute_of, record_minute
from rocketjob.runtime.server import ActiveWorker, Server
from tests.mission_control import factories

URL = "/admin/mission_control/job/metrics/"
TOKEN = "s3cret-scraper-token"


pytestmark = pytest.mark.usefixtures("quiet_recorder")


@pytest.fixture
def with_token() -> Iterator[None]:
    with override_settings(ROCKETJOB={**settings.ROCKETJOB, "metrics_token": TOKEN}):
        yield


def _seed() -> None:
    for _ in range(3):
        factories.queued()
    factories.running()
    now = minute_of(datetime.now(UTC))
    for offset, completed in ((2, 4), (1, 6)):
        record_minute(
            MinuteMetrics(
                minute=now - timedelta(minutes=offset),
                job_class="NoopJob",
                completed=completed,
                failed=1,
                run_seconds_sum=completed * 0.5,
                run_count=completed + 1,
                run_buckets={"0.5": completed, "10": 1},
                latency_seconds_sum=0.1,
                latency_count=1,
                latency_buckets={"0.1": 1},
            )
        )
    record_minute(MinuteMetrics(minute=now, job_class="NoopJob", job_id="x", records=99))
    server = Server.register("scrape:1", max_workers=3)
    server.set_state("running")
    server.send_heartbeat(3, [ActiveWorker(worker_name="scrape:1:0", job_class="NoopJob")])


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _scrape(client: Client, **headers: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get(URL, headers=headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    return _samples(response.content.decode())


def test_viewer_scrapes_jobs_servers_workers_counters_and_histograms(make_client) -> None:
    _seed()
    samples = _scrape(make_client("view"))
    noop = (("job_class", "NoopJob"),)
    assert samples[("rocketjob_jobs", (("job_class", "NoopJob"), ("state", "queued")))] == 3
    assert samples[("rocketjob_jobs", (("job_class", "NoopJob"), ("state", "running")))] == 1
    assert samples[("rocketjob_servers", (("state", "running"),))] == 1
    assert samples[("rocketjob_workers", (("state", "busy"),))] == 1
    assert samples[("rocketjob_workers", (("state", "idle"),))] == 2
    assert samples[("rocketjob_jobs_completed_total", noop)] == 10
    assert samples[("rocketjob_jobs_failed_total", noop)] == 2
    assert samples[("rocketjob_batch_records_total", noop)] == 0  # job scope is not summed
    run = "rocketjob_job_run_seconds"
    assert samples[(f"{run}_count", noop)] == 12
    assert samples[(f"{run}_sum", noop)] == 5.0
    assert samples[(f"{run}_bucket", (*noop, ("le", "0.25")))] == 0
    assert samples[(f"{run}_bucket", (*noop, ("le", "0.5")))] == 10  # cumulative
    assert samples[(f"{run}_bucket", (*noop, ("le", "10.0")))] == 12
    assert samples[(f"{run}_bucket", (*noop, ("le", "+Inf")))] == 12
    latency = "rocketjob_job_queue_latency_seconds"
    assert samples[(f"{latency}_count", noop)] == 2


def test_staff_without_view_job_and_anonymous_users_get_403(make_client) -> None:
    assert make_client(None).get(URL).status_code == 403
    assert Client().get(URL).status_code == 403
    assert make_client("view", staff=False).get(URL).status_code == 403


@pytest.mark.usefixtures("with_token")
def test_a_scraper_with_the_bearer_token_needs_no_session() -> None:
    _seed()
    samples = _scrape(Client(), Authorization=f"Bearer {TOKEN}")
    assert samples[("rocketjob_jobs_completed_total", (("job_class", "NoopJob"),))] == 10


@pytest.mark.usefixtures("with_token")
@pytest.mark.parametrize(
    "header", [f"Bearer {TOKEN}x", "Bearer ", f"bearer {TOKEN[:-1]}", f"Bearer {TOKEN.upper()}"]
)
def test_a_wrong_token_gets_403_even_for_a_viewer_session(make_client, header: str) -> None:
    assert Client().get(URL, headers={"Authorization": header}).status_code == 403
    assert make_client("view").get(URL, headers={"Authorization": header}).status_code == 403


@pytest.mark.usefixtures("with_token")
@pytest.mark.parametrize("header", [f"Basic {TOKEN}", TOKEN])
def test_other_authorization_headers_leave_it_to_the_session(make_client, header: str) -> None:
    """E.g. a proxy's Basic auth: the token is only ever read from a Bearer header."""
    assert Client().get(URL, headers={"Authorization": header}).status_code == 403
    assert make_client("view").get(URL, headers={"Authorization": header}).status_code == 200


def test_no_token_is_accepted_while_the_setting_is_empty() -> None:
    assert Client().get(URL, headers={"Authorization": "Bearer "}).status_code == 403
    assert Client().get(URL, headers={"Authorization": "Bearer x"}).status_code == 403


def test_the_url_only_answers_get(make_client) -> None:
    assert make_client("view").post(URL).status_code == 405


def test_an_unreadable_server_document_is_counted_not_a_failed_scrape(make_client) -> None:
    Server.register("good:1", max_workers=2)
    bad = Server.register("bad:1", max_workers=2)
    Server._get_collection().update_one({"_id": bad.pk}, {"$set": {"heartbeat": "garbage"}})
    samples = _scrape(make_client("view"))
    servers = {
        labels[0][1]: n for (name, labels), n in samples.items() if name == "rocketjob_servers"
    }
    assert servers.pop("unreadable") == 1
    assert sum(servers.values()) == 1  # the good one, in whatever state it registered
