"""The dashboard in Chromium with real ``manage.py rocketjob`` workers: charts drawn from the
metrics the workers write, changing live while jobs are enqueued (no reload)."""

from __future__ import annotations

from typing import Any

import pytest

from rocketjob.metrics.store import MinuteMetrics, record_minute
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
    with workers(["--workers", "2"], env, tmp_path / "workers.log"):
        wait_for(lambda: Server.objects.count() == 1, timeout=60)
        for _ in range(5):
            NoopJob.create()
        FailingJob.create(message="boom")
        with chromium_page(viewport=(1280, 1000), timezone_id="Europe/Paris") as page:
            login(page, live_server.url, *superuser)
            page.click("#mc-dashboard-link")
            page.wait_for_url("**/admin/mission_control/job/dashboard/")
            wait_for_sum_above(page, "throughput", "completed", 0)
            wait_for_sum_above(page, "failures", "failed", 0)
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
    env = {**rocketjob_db.subprocess_env(), "ROCKETJOB_METRICS_FLUSH_SECONDS": "1"}
    job = RecordCheckBatchJob.create_from_upload(
        [f"slow record {i}" for i in range(60)], description="Import customers"
    )
    with chromium_page(viewport=(1280, 1100)) as page:
        login(page, live_server.url, *superuser)
        page.goto(f"{live_server.url}/admin/mission_control/job/{job.pk}/")
        page.wait_for_selector("#mc-job-records[data-mc-drawn]")
        assert series_sum(page, "records", "records_per_second") == 0
        with workers(["--workers", "2"], env, tmp_path / "workers.log"):
            wait_for_sum_above(page, "records", "records_per_second", 0)
            screenshot(page, "batch-records", for_docs=True)
        assert int(page.inner_text('#mc-job-records [data-mc-total="records"]')) > 0
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
