"""The dashboard's pages and JSON, drawn from minutes seeded with the metrics store's writer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from mission_control import dashboard_points
from rocketjob.metrics.store import MinuteMetrics, minute_of, record_minute
from rocketjob.plugins.job.model import utc_now
from tests.mission_control import factories

DASH = "/admin/mission_control/job/dashboard/"
DATA = f"{DASH}data/"
XSS = "<script>alert('cls')</script>"


def seed(job_class: str, minutes_ago: int, **numbers) -> int:
    """Record one minute; returns its time as the payload gives it (ms since the epoch)."""
    minute = minute_of(utc_now()) - timedelta(minutes=minutes_ago)
    record_minute(MinuteMetrics(minute=minute, job_class=job_class, **numbers))
    return int(minute.timestamp() * 1000)


def test_quantile_interpolates_inside_the_bucket():
    assert dashboard_points.quantile(0.95, {}) is None
    # Buckets are (0.25, 0.5], (0.5, 1], ...: the median of 10 in (0.5, 1] is halfway in.
    assert dashboard_points.quantile(0.5, {"1": 10}) == pytest.approx(0.75)
    # 90 samples in (0.05, 0.1], 10 in (0.5, 1]: rank 95 is the 5th of the 10 -> 0.75.
    assert dashboard_points.quantile(0.95, {"0.1": 90, "1": 10}) == pytest.approx(0.75)
    # Beyond the largest finite bound, report that bound (as Prometheus does).
    assert dashboard_points.quantile(0.95, {"0.1": 1, "+Inf": 99}) == 3600.0


def test_hour_payload_per_minute_and_per_class(make_client):
    early = seed(
        "ImportJob",
        3,
        completed=12,
        failed=1,
        latency_seconds_sum=6.0,
        latency_count=12,
        latency_buckets={"0.5": 10, "1": 2},
        queued=40,
    )
    late = seed("ImportJob", 0, completed=5, queued=25)
    seed("ReportJob", 3, completed=3, aborted=2, queued=10)
    seed("ReportJob", 90, completed=99)  # outside the hour
    client = make_client("view")
    data = client.get(DATA).json()
    assert data["window"] == "hour" and data["step_seconds"] == 60
    assert len(data["times"]) == 61 and all(len(v) == 61 for v in data["series"].values())
    i, j = data["times"].index(early), data["times"].index(late)  # a minute may pass meanwhile
    completed = data["series"]["completed"]
    assert completed[i] == 15 and completed[j] == 5 and sum(completed) == 20
    assert data["series"]["queued"][i] == 50  # both classes' depth in that minute
    assert data["series"]["queued"][i + 1] is None  # no sample: a gap, not a zero
    assert data["series"]["aborted"][i] == 2
    assert data["totals"] == {"completed": 20, "failed": 1, "aborted": 2}
    assert data["classes"] == ["ImportJob", "ReportJob"]

    one = client.get(DATA, {"class": "ImportJob"}).json()
    i = one["times"].index(early)
    assert sum(one["series"]["completed"]) == 17 and one["series"]["queued"][i] == 40
    assert one["series"]["latency_avg"][i] == 0.5
    assert one["series"]["latency_p95"][i] == pytest.approx(0.5 + 0.5 * (11.4 - 10) / 2)


def test_day_payload_in_quarter_hours(make_client):
    seed("ImportJob", 90, completed=30)
    seed("ImportJob", 60 * 30, completed=1000)  # older than a day
    data = make_client("view").get(DATA, {"window": "day"}).json()
    assert data["step_seconds"] == 900 and len(data["times"]) == 97
    assert sum(data["series"]["completed"]) == pytest.approx(2.0)  # 30 jobs / 15 minutes
    assert data["totals"]["completed"] == 30


def test_bad_parameters_fall_back_and_never_fail(make_client):
    client = make_client("view")
    for params in ({"window": "year"}, {"class": "x" * 5000}, {"class": XSS}, {"window": ""}):
        response = client.get(DATA, params)
        assert response.status_code == 200 and response.json()["window"] == "hour"
        assert client.get(DASH, params).status_code == 200


def test_page_lists_classes_escaped_and_links_from_the_nav(make_client):
    seed(XSS, 1, completed=1)
    client = make_client("view")
    html = client.get(DASH, {"class": XSS}).content.decode()
    assert XSS not in html and "&lt;script&gt;alert(&#x27;cls&#x27;)&lt;/script&gt;" in html
    assert 'data-mc-chart-source="/admin/mission_control/job/dashboard/data/?class=' in html
    for chart in ("throughput", "failures", "queue", "latency"):
        assert f'id="mc-chart-{chart}"' in html
    assert "mission_control/charts.js" in html
    assert "95th percentile, latest:" in html and "latency_p95:" not in html  # legend in words
    listing = client.get("/admin/mission_control/job/").content.decode()
    assert 'href="/admin/mission_control/job/dashboard/" id="mc-dashboard-link"' in listing
    assert client.get(DATA).json()["classes"] == [XSS]  # JSON: the script reads it as text


def test_dashboard_needs_view_job(make_client):
    no_jobs = make_client(None, perms=["view_server"])
    assert no_jobs.get(DASH).status_code == 403 and no_jobs.get(DATA).status_code == 403
    assert "mc-dashboard-link" not in no_jobs.get("/admin/mission_control/server/").content.decode()
    for url in (DASH, DATA):
        response = Client().get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_batch_job_records_per_second(make_client):
    job = factories.failed_batch(["alice", "bob", "carol"])
    started = minute_of(utc_now()) - timedelta(minutes=3) + timedelta(seconds=30)
    job.set_fields(started_at=started)
    for minute, records in (
        (minute_of(started), 120),
        (minute_of(started) + timedelta(minutes=1), 60),
    ):
        record_minute(
            MinuteMetrics(minute=minute, job_class="x", job_id=str(job.pk), records=records)
        )
    client = make_client("view")
    data = client.get(f"/admin/mission_control/job/{job.pk}/metrics/").json()
    rates = dict(zip(data["times"], data["series"]["records_per_second"], strict=True))
    first = int(minute_of(started).timestamp() * 1000)
    assert rates[first] == 4.0  # 120 records in the 30 s the job ran of its first minute
    assert rates[first + 60_000] == 1.0 and rates[first - 60_000] == 0  # before it started
    assert len(data["times"]) >= 10 and data["totals"]["records"] == 180
    html = client.get(f"/admin/mission_control/job/{job.pk}/").content.decode()
    assert 'id="mc-chart-records"' in html and f"/{job.pk}/metrics/" in html
    plain = factories.queued()
    assert client.get(f"/admin/mission_control/job/{plain.pk}/metrics/").status_code == 404
    assert (
        'id="mc-chart-records"'
        not in client.get(f"/admin/mission_control/job/{plain.pk}/").content.decode()
    )
    assert client.get("/admin/mission_control/job/nope/metrics/").status_code == 404


def test_a_poll_reads_only_the_points_that_can_still_change(make_client, monkeypatch):
    for minutes_ago in (2, 20, 200, 1000):
        seed("ImportJob", minutes_ago, completed=15, queued=minutes_ago)
    client = make_client("view")
    first = {w: client.get(DATA, {"window": w}).json() for w in ("hour", "day")}
    reads: list[tuple[object, object, int]] = []
    original = dashboard_points.class_series

    def counting(since, until=None, job_class=None):
        found = original(since, until=until, job_class=job_class)
        reads.append((since, until, len(found)))
        return found

    monkeypatch.setattr(dashboard_points, "class_series", counting)
    again = {w: client.get(DATA, {"window": w}).json() for w in ("hour", "day")}
    if again["hour"]["times"] == first["hour"]["times"]:  # no minute boundary in between
        assert again == first
    assert again["day"]["totals"]["completed"] == 60
    # Each poll read only its open points: 1-3 minutes for the hour, one quarter for the day.
    assert len(reads) == 2 and all(found <= 1 for _, _, found in reads)
    spans = [(until - since).total_seconds() / 60 for since, until, _ in reads]
    assert spans[0] <= 3 and spans[1] <= 30, spans

    seed("ImportJob", 0, completed=7)  # the current minute is never cached
    assert client.get(DATA, {"window": "day"}).json()["totals"]["completed"] == 67
    dashboard_points.POINTS.clear()
    assert client.get(DATA, {"window": "day"}).json()["totals"]["completed"] == 67
