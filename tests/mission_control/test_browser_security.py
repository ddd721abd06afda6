"""Issue 11's Mission Control attacks, made by a manager in a real browser (headless Chromium).

The manager cannot get around the destroy permission by re-enabling a disabled input in the
page, nor make a worker read a file outside the allow-list through the edit form.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

from rocketjob.job import Job
from tests.helpers import only_incoming_allowed
from tests.mission_control.browser import chromium_page, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]
EDIT = "/admin/mission_control/job/{}/edit/"


@pytest.fixture
def manager(transactional_db: Any) -> tuple[str, str]:
    from django.contrib.auth.models import User

    from mission_control.roles import ensure_role_groups

    user = User.objects.create_user("mgr", password="manager-pw", is_staff=True)
    user.groups.add(ensure_role_groups()["manager"])
    return "mgr", "manager-pw"


@pytest.fixture
def incoming(tmp_path: Path) -> Iterator[Path]:
    with only_incoming_allowed(tmp_path) as allowed:
        yield allowed


def test_retention_stays_locked_even_when_the_page_re_enables_the_input(live_server, manager):
    from rocketjob.jobs import HousekeepingJob

    job = HousekeepingJob.create()
    url = live_server.url + EDIT.format(job.pk)
    with chromium_page() as page:
        login(page, live_server.url, *manager)
        page.goto(url)
        assert page.locator('input[name="failed_retention"]').is_disabled()
        page.fill('input[name="priority"]', "9")
        page.click('input[type="submit"]')
        page.wait_for_url(f"**/job/{job.pk}/")
        raw = Job._get_collection().find_one({"_id": job.pk})
        assert (raw["priority"], raw["failed_retention"]) == (9, 14 * 86400)
        page.goto(url)
        page.evaluate(
            """() => { const input = document.querySelector('input[name="failed_retention"]');
                       input.disabled = false; input.value = '1'; }"""
        )
        page.click('input[type="submit"]')
        page.wait_for_load_state("load")
        assert "requires the destroy_job permission" in page.content()
    assert Job._get_collection().find_one({"_id": job.pk})["failed_retention"] == 14 * 86400


def test_an_upload_cannot_be_pointed_outside_the_allow_list(live_server, manager, incoming):
    from rocketjob.jobs import UploadFileJob

    upload = UploadFileJob.create(
        job_class_name="CsvBatchJob", upload_file_name=str(incoming / "a.csv"), job_id=ObjectId()
    )
    with chromium_page() as page:
        login(page, live_server.url, *manager)
        page.goto(live_server.url + EDIT.format(upload.pk))
        page.fill('[name="upload_file_name"]', str(incoming / ".." / "shadow"))
        page.click('input[type="submit"]')
        page.wait_for_load_state("load")
        assert "outside the allowed paths" in page.inner_text("#content")
        page.fill('[name="upload_file_name"]', str(incoming / "b.csv"))
        page.fill('[name="properties"]', '{"keep_days": 1}')
        page.fill('[name="job_class_name"]', "ReportPathBatchJob")
        page.click('input[type="submit"]')
        page.wait_for_load_state("load")
        assert "need a permission" in page.inner_text("#content")
    stored = Job._get_collection().find_one({"_id": upload.pk})
    assert stored["upload_file_name"] == str(incoming / "a.csv")
    assert stored["job_class_name"] == "CsvBatchJob" and not stored.get("properties")
