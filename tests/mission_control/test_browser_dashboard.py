"""The dashboard in Chromium with real ``manage.py rocketjob`` workers: charts drawn from the
metrics the workers write, changing live while jobs are enqueued (no reload).

The previous hour is seeded with the metrics store's writer first (varying throughput, a few
failures, a queue that builds up and drains, latency that follows it), so the charts and the
screenshots for docs/mission-control.md show what a reader would see on a working system; the
live part, the current minute, comes from the real workers.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta
from typing import Any

import pytest

from rocketjob.metrics import bucket_for
from rocketjob.metrics.store import MinuteMetrics, minute_of, record_minute
from rocketjob.plugins.job.model import utc_now
from rocketjob.runtime.server import Server
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.jobs import FailingJob, NoopJob
from tests.jobsapp.mission_control_jobs import RecordCheckBatchJob
from tests.mission_control.browser import chromium_page, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
#: Seconds to wait for the workers' next metrics flush plus the page's next poll.
LIVE = 60_000


@pytest.fixture
def superuser(transactional_db: Any) -> tuple[str, str]:
    from django.contrib.auth.models import User

    User.objects.create_superuser("ops", "ops@example.com", "mission-control-pw")
    return "ops", "mission-control-pw"


#: Failed FailingJobs seeded per minutes ago.
SEEDED_FAILURES = {52: 2, 33: 3, 32: 1, 9: 2}


def seed_last_hour(seed: int = 13) -> int:
    """NoopJob and FailingJob metrics for the current minute and the 56 before it (the hour's
    first four stay empty, so the window sliding on during the test drops no seeded minute and
    sums only grow). Returns the NoopJobs completed."""
    rnd = random.Random(seed)
    now = minute_of(utc_now())
    total = 0
    for minutes_ago in range(56, -1, -1):
        minute = now - timedelta(minutes=minutes_ago)
        wave = math.sin(minutes_ago / 9.0)
        queued = max(0, int(30 * wave + rnd.randint(-4, 4)))
        completed = max(1, int(22 + 14 * math.cos(minutes_ago / 7.0) + rnd.randint(-5, 5)))
        mean = 0.04 + queued * 0.03  # jobs wait longer while the queue is long
        waits = [mean * rnd.uniform(0.3, 1.8) for _ in range(completed)]
        buckets: dict[str, int] = {}
        for wait in waits:
            buckets[bucket_for(wait)] = buckets.get(bucket_for(wait), 0) + 1
        record_minute(
            MinuteMetrics(
                minute=minute,
                job_class="NoopJob",
                completed=completed,
                aborted=1 if minutes_ago in (41, 17) else 0,
                run_seconds_sum=completed * 0.02,
                run_count=completed,
                run_buckets={"0.025": completed},
                latency_seconds_sum=sum(waits),
                latency_count=completed,
                latency_buckets=buckets,
                queued=queued,
            )
        )
        if minutes_ago in SEEDED_FAILURES:
            failed = SEEDED_FAILURES[minutes_ago]
            record_minute(MinuteMetrics(minute=minute, job_class="FailingJob", failed=failed))
        total += completed
    return total


def series_sum(page: Any, chart: str, series: str) -> float:
    value = page.get_attribute(f"#mc-chart-{chart} path[data-series={series}]", "data-sum")
    return float(value or 0)


def wait_for_sum_above(page: Any, chart: str, series: str, floor: float) -> None:
    page.wait_for_function(
        """([chart, series, floor]) => {
          const path = document.querySelector(`#mc-chart-${chart} path[data-series=${series}]`);
          return path && parseFloat(path.dataset.sum) > floor;
        }""",
        arg=[chart, series, floor],
        timeout=LIVE,
    )


def test_dashboard_charts_follow_real_workers(live_server, superuser, rocketjob_db, tmp_path):
    env = {**rocketjob_db.subprocess_env(), "ROCKETJOB_METRICS_FLUSH_SECONDS": "1"}
    seeded_completed = seed_last_hour()
    for _ in range(8):  # waiting when the server starts: its first queue sample sees them
        NoopJob.create()
    with workers(["--workers", "2"], env, tmp_path / "workers.log"):
        wait_for(lambda: Server.objects.count() == 1, timeout=60)
        for _ in range(5):
            NoopJob.create()
        FailingJob.create(message="boom")
        with chromium_page(viewport=(1280, 1000), timezone_id="Europe/Paris") as page:
            login(page, live_server.url, *superuser)
            page.click("#mc-dashboard-link")
            page.wait_for_url("**/admin/mission_control/job/dashboard/")
            # The seeded minutes and, on top, the live ones from the workers.
            wait_for_sum_above(page, "throughput", "completed", seeded_completed)
            wait_for_sum_above(page, "failures", "failed", sum(SEEDED_FAILURES.values()))
            assert series_sum(page, "queue", "queued") > 0
            for chart in ("throughput", "failures"):  # grid lines at round counts: 0, 1, 2...
                labels = page.locator(f"#mc-chart-{chart} text.mc-axis").all_text_contents()
                counts = [label for label in labels if ":" not in label]
                assert len(counts) >= 5 and all(label.isdigit() for label in counts), counts
            drawn = page.get_attribute("#mc-dashboard", "data-mc-drawn")
            before = series_sum(page, "throughput", "completed")
            url = page.url
            for _ in range(20):  # more work while the page is open: the chart must grow
                NoopJob.create()
            wait_for_sum_above(page, "throughput", "completed", before)
            assert page.url == url and page.get_attribute("#mc-dashboard", "data-mc-drawn") != drawn
            assert series_sum(page, "throughput", "completed") >= before + 1
            assert page.inner_text("#mc-tz") == "Europe/Paris"
            screenshot(page, "dashboard", for_docs=True)

            page.reload()  # the class selector lists the classes with metrics at page load
            assert "NoopJob" in page.inner_text("#mc-dashboard-class")
            page.select_option("#mc-dashboard-class", label="FailingJob")
            page.click("#mc-dashboard-form button")
            wait_for_sum_above(page, "failures", "failed", 0)
            assert series_sum(page, "throughput", "completed") == 0
            assert page.dialogs == []


def test_batch_job_shows_records_per_second(live_server, superuser, rocketjob_db, tmp_path):
    """An import that has been running for 20 minutes goes on live: its past is seeded (the
    slices of the records it processed removed from its input, their minutes recorded), and
    the current minute comes from real workers processing the rest."""
    env = {**rocketjob_db.subprocess_env(), "ROCKETJOB_METRICS_FLUSH_SECONDS": "1"}
    rnd = random.Random(7)
    past = [
        3 * int(20 * (3.2 + 0.8 * math.sin(m / 3.0) + rnd.uniform(-0.3, 0.3))) for m in range(20)
    ]
    done = sum(past)
    job = RecordCheckBatchJob.create_from_upload(
        [f"slow record {i}" for i in range(done + 600)], description="Import customers"
    )
    job.input().collection.delete_many({"first_record_number": {"$lte": done}})
    now = minute_of(utc_now())
    job.set_fields(created_at=now - timedelta(minutes=21))
    with chromium_page(viewport=(1280, 1100)) as page:
        login(page, live_server.url, *superuser)
        page.goto(f"{live_server.url}/admin/mission_control/job/{job.pk}/")
        page.wait_for_selector("#mc-job-records[data-mc-drawn]")
        assert series_sum(page, "records", "records_per_second") == 0
        with workers(["--workers", "2"], env, tmp_path / "workers.log"):
            wait_for(lambda: job.reload().started_at is not None, timeout=60)
            job.set_fields(started_at=now - timedelta(minutes=20))
            for minutes_ago, records in zip(range(20, 0, -1), past, strict=True):
                minute = now - timedelta(minutes=minutes_ago)
                scope = {"job_class": "RecordCheckBatchJob", "job_id": str(job.pk)}
                record_minute(MinuteMetrics(minute=minute, records=records, **scope))
            seeded = sum(round(records / 60, 4) for records in past)
            # The seeded minutes, and then the live minute from the workers on top.
            wait_for_sum_above(page, "records", "records_per_second", seeded + 0.05)
            page.reload()  # the rate and time left in the panel are read at page load
            page.wait_for_selector("#mc-job-records[data-mc-drawn]")
            screenshot(page, "batch-records", for_docs=True)
        assert int(page.inner_text('#mc-job-records [data-mc-total="records"]')) > done
        assert page.dialogs == []


def test_class_names_stay_inert_on_the_dashboard(live_server, superuser):
    xss = "<img src=x onerror=\"alert('cls')\">"
    record_minute(MinuteMetrics(minute=utc_now(), job_class=xss, completed=3))
    with chromium_page() as page:
        login(page, live_server.url, *superuser)
        page.goto(f"{live_server.url}/admin/mission_control/job/dashboard/")
        page.select_option("#mc-dashboard-class", label=xss)
        page.click("#mc-dashboard-form button")
        wait_for_sum_above(page, "throughput", "completed", 0)
        assert page.inner_text(".mc-dashboard-class") == xss
        assert page.locator("img[src=x]").count() == 0
        assert page.dialogs == []
