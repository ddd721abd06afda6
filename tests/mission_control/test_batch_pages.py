"""Batch pages: slice progress, exceptions by class, failed slices, record edit and delete."""

from __future__ import annotations

import pytest

from rocketjob.job import Job
from tests.claiming import next_claimed_job
from tests.mission_control import factories

LIST = "/admin/mission_control/job/"
RECORDS = ["a", "b", "bad 1", "c", "d", "e", "f", "bad <script>alert(1)</script>", "g"]


@pytest.fixture
def batch_job():
    job = factories.failed_batch(RECORDS, description="import")
    assert job.state == "failed"
    return job


def test_detail_shows_slice_bar_and_categories(make_client, batch_job):
    html = make_client("view").get(f"{LIST}{batch_job.pk}/").content.decode()
    assert 'id="mc-batch"' in html
    assert "1 completed" in html and "2 failed" in html
    assert "main (records, compress)" in html and "output categories" in html
    assert html.count("(records, compress)") == 2
    assert f"{LIST}{batch_job.pk}/exceptions/" in html
    assert "estimated time left" not in html  # only while running
    assert "slice_count" not in html  # shown by the batch panel, not as a custom field


def test_running_batch_shows_progress_and_time_left(make_client):
    from rocketjob.runtime.claim_filter import ClaimFilter
    from tests.jobsapp.mission_control_jobs import RecordCheckBatchJob

    job = RecordCheckBatchJob.create_from_upload([str(i) for i in range(30)])
    claimed = next_claimed_job(RecordCheckBatchJob, "host:1:0", ClaimFilter())
    claimed.rocketjob_batch_before("host:1:0")
    slices = claimed.input()
    for _ in range(4):
        claimed.rocketjob_process_slice(slices.claim("host:1:0"))
    html = make_client("view").get(f"{LIST}{job.pk}/").content.decode()
    assert "4 completed" in html and "6 queued" in html
    assert "estimated time left" in html and "records/second" in html
    assert "(processing)" in html


def test_exceptions_grouped_by_class(make_client, batch_job):
    html = make_client("view").get(f"{LIST}{batch_job.pk}/exceptions/").content.decode()
    assert 'data-exception="ValueError"' in html
    assert "invalid record: bad 1" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    row = html.split('data-exception="ValueError"')[1].split("</tr>")[0]
    assert "<td>2</td>" in row


def test_failed_slices_page(make_client, batch_job):
    client = make_client("view")
    html = client.get(f"{LIST}{batch_job.pk}/slices/", {"class": "ValueError"}).content.decode()
    assert 'data-slice="1"' in html and 'data-slice="7"' in html
    assert "2 failed slices" in html
    none = client.get(f"{LIST}{batch_job.pk}/slices/", {"class": "KeyError"}).content.decode()
    assert "No failed slices." in none


def test_slice_records_with_failed_one_highlighted(make_client, batch_job):
    html = make_client("editor").get(f"{LIST}{batch_job.pk}/slices/7/").content.decode()
    assert 'data-record="8" class="mc-highlight"' in html
    assert 'data-record="7" class="mc-highlight"' not in html
    assert "&quot;bad &lt;script&gt;alert(1)&lt;/script&gt;&quot;" in html
    assert "/records/1/edit/" in html and "/records/1/delete/" in html


def test_viewer_cannot_edit_records(make_client, batch_job):
    client = make_client("manager")
    html = client.get(f"{LIST}{batch_job.pk}/slices/7/").content.decode()
    assert "/records/1/edit/" not in html
    assert client.get(f"{LIST}{batch_job.pk}/slices/7/records/1/edit/").status_code == 403
    assert client.post(f"{LIST}{batch_job.pk}/slices/7/records/1/delete/").status_code == 403


def test_edit_record_then_retry_completes(make_client, batch_job):
    client = make_client("admin")
    form = client.get(f"{LIST}{batch_job.pk}/slices/1/records/2/edit/").content.decode()
    assert "&quot;bad 1&quot;" in form
    response = client.post(
        f"{LIST}{batch_job.pk}/slices/1/records/2/edit/", {"record": '"fixed 1"'}
    )
    assert response.status_code == 302
    assert factories_records(batch_job, 1) == ["a", "b", "fixed 1"]
    bad = client.post(f"{LIST}{batch_job.pk}/slices/1/records/2/edit/", {"record": "{nope"})
    assert bad.status_code == 400 and "Not valid JSON" in bad.content.decode()
    client.post(f"{LIST}{batch_job.pk}/slices/7/records/1/delete/")
    assert factories_records(batch_job, 7) == ["f", "g"]
    client.post(f"{LIST}{batch_job.pk}/action/retry/", {"expected_state": "failed"})
    job = factories.failed_batch_work(batch_job)
    assert job.state == "completed"


def test_record_of_a_retried_slice_is_not_edited(make_client, batch_job):
    client = make_client("admin")
    Job.load(batch_job.pk).retry()  # the slices are queued again
    response = client.post(
        f"{LIST}{batch_job.pk}/slices/1/records/2/edit/", {"record": '"x"'}, follow=True
    )
    assert "Record not saved: slice 1 is no longer failed" in response.content.decode()
    assert factories_records(batch_job, 1) == ["a", "b", "bad 1"]


def test_delete_confirms_first(make_client, batch_job):
    client = make_client("editor")
    html = client.get(f"{LIST}{batch_job.pk}/slices/7/records/0/delete/").content.decode()
    assert "Delete record 7 from slice 7?" in html
    assert factories_records(batch_job, 7) == ["f", "bad <script>alert(1)</script>", "g"]


def test_non_batch_and_missing(make_client, batch_job):
    client = make_client("view")
    plain = factories.queued()
    assert client.get(f"{LIST}{plain.pk}/exceptions/").status_code == 404
    assert client.get(f"{LIST}{batch_job.pk}/slices/999/").status_code == 404
    assert client.get(f"{LIST}{batch_job.pk}/exceptions/?category=nope").status_code == 404


def factories_records(job, slice_id):
    from mission_control.batch_data import load_slice

    return load_slice(Job.load(job.pk), "main", slice_id).records
