"""The main operator scenario, end to end: real workers, a live server, headless Chromium.

Log in, find the failed job, retry it, and watch it complete without reloading the page.
"""

from __future__ import annotations

import signal
from typing import Any

import pytest

from rocketjob.job import Job
from rocketjob.runtime.server import Server
from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.mission_control_jobs import FlakyJob
from tests.mission_control.browser import chromium_page, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def superuser(transactional_db: Any) -> tuple[str, str]:
    from django.contrib.auth.models import User

    User.objects.create_superuser("ops", "ops@example.com", "mission-control-pw")
    return "ops", "mission-control-pw"


def state_of(job_id: Any) -> str | None:
    raw = Job._get_collection().find_one({"_id": job_id}, {"state": 1})
    return None if raw is None else raw["state"]


def test_retry_a_failed_job_and_watch_it_complete(live_server, superuser, rocketjob_db, tmp_path):
    log = tmp_path / "workers.log"
    env = rocketjob_db.subprocess_env()
    with workers(["--workers", "2"], env, log) as process:
        wait_for(lambda: Server.objects.count() == 1, timeout=60)
        # The retried run lasts 10 s: longer than two refresh intervals, so the page shows
        # it running even on a loaded machine. The first run fails at once.
        job = FlakyJob.create(description="Nightly CRM sync", sleep_seconds=10)
        wait_for(lambda: state_of(job.pk) == "failed", timeout=60)

        with chromium_page() as page:
            login(page, live_server.url, *superuser)
            page.click('a[data-state="failed"]')
            row = page.locator(f'tr[data-job-id="{job.pk}"]')
            assert "Nightly CRM sync" in row.inner_text()
            row.locator("td a").first.click()
            page.wait_for_url(f"**/admin/mission_control/job/{job.pk}/")
            assert page.inner_text("#mc-job-state") == "failed"
            assert "flaky failure" in page.inner_text(".mc-exception-message")
            screenshot(page, "retry-before", for_docs=True)

            page.click('button[data-action="retry"]')
            page.wait_for_selector(".messagelist .success")
            assert "retried" in page.inner_text(".messagelist")
            # No reload from here on: the live refresh must show the job's progress.
            page.wait_for_function(
                "document.getElementById('mc-job-state').textContent.trim() === 'running'",
                timeout=60_000,
            )
            screenshot(page, "retry-running", for_docs=True)
            page.wait_for_function(
                "document.getElementById('mc-job-state').textContent.trim() === 'completed'",
                timeout=60_000,
            )
            assert state_of(job.pk) == "completed"
            assert page.locator(".mc-exception").count() == 0
            screenshot(page, "retry-completed", for_docs=True)

            page.goto(f"{live_server.url}/admin/mission_control/server/")
            server_row = page.locator("tr[data-server]")
            assert server_row.count() == 1 and "running" in server_row.inner_text()
            assert "2 / 2" in server_row.inner_text()
            screenshot(page, "servers", for_docs=True)
            assert page.dialogs == []

        process.signal(signal.SIGTERM)
        assert process.wait(60) == 0, process.output()
    job.reload()
    assert (job.state, job.failure_count) == ("completed", 1)
