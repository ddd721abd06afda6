"""Job data is rendered escaped everywhere: a stored <script> stays inert text."""

from __future__ import annotations

from tests.mission_control import factories

LIST = "/admin/mission_control/job/"
PAYLOAD = "<script>alert('xss')</script>"
ATTR_PAYLOAD = '"><img src=x onerror=alert(1)>'


def assert_inert(html: str) -> None:
    assert PAYLOAD not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html


def test_description_and_exception_message_are_escaped(make_client):
    job = factories.failed(message=PAYLOAD + ATTR_PAYLOAD, description=PAYLOAD + ATTR_PAYLOAD)
    client = make_client("admin")
    for url in (
        f"{LIST}state/failed/",
        f"{LIST}state/all/",
        f"{LIST}{job.pk}/",
        f"{LIST}{job.pk}/edit/",
        f"{LIST}{job.pk}/action/destroy/",
        f"{LIST}state/all/?q={PAYLOAD}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode())


def test_unloadable_class_name_and_fields_are_escaped(make_client):
    job_id = factories.unloadable(description=PAYLOAD, **{"custom": PAYLOAD})
    from rocketjob.job import Job

    Job._get_collection().update_one({"_id": job_id}, {"$set": {"_cls": "Job." + PAYLOAD}})
    client = make_client("admin")
    for url in (f"{LIST}state/failed/", f"{LIST}{job_id}/"):
        html = client.get(url).content.decode()
        assert PAYLOAD not in html and "&lt;script&gt;" in html


def test_search_text_is_escaped_when_echoed(make_client):
    html = make_client("view").get(f"{LIST}state/all/", {"q": ATTR_PAYLOAD}).content.decode()
    assert "<img src=x" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
