"""Who may see and do what: staff login, Ruby's roles as groups, CSRF on every change."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mission_control.roles import ROLE_ORDER, role_permissions
from rocketjob.job import Job
from tests.mission_control import factories

LIST = "/admin/mission_control/job/"


def state_of(job) -> str | None:
    raw = Job._get_collection().find_one({"_id": job.pk})
    return None if raw is None else raw["state"]


def test_roles_are_hierarchical():
    assert role_permissions("view") == ["view_job", "view_server", "view_dirmonentry"]
    assert "manage_job" in role_permissions("operator")
    assert "operate_server" not in role_permissions("manager")
    admin = set(role_permissions("admin"))
    for role in ROLE_ORDER:
        assert set(role_permissions(role)) <= admin
    with pytest.raises(ValueError, match="unknown role"):
        role_permissions("viewer")


@pytest.mark.django_db
def test_groups_command_creates_groups():
    from io import StringIO

    from django.contrib.auth.models import Group
    from django.core.management import call_command

    out = StringIO()
    call_command("mission_control_groups", stdout=out)
    names = set(Group.objects.values_list("name", flat=True))
    assert {f"Mission Control {r}" for r in ROLE_ORDER} <= names
    assert "Mission Control admin: destroy_job" in out.getvalue()


@pytest.mark.django_db
def test_anonymous_is_redirected_to_login():
    job = factories.failed()
    for url in (LIST, f"{LIST}{job.pk}/", f"{LIST}state/failed/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = Client().post(f"{LIST}{job.pk}/action/retry/", {"expected_state": "failed"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert state_of(job) == "failed"


def test_non_staff_user_is_redirected_to_login(make_client):
    client = make_client("admin", staff=False)
    response = client.get(LIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_view_permission_is_denied(make_client):
    job = factories.failed()
    client = make_client(None)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{job.pk}/").status_code == 403
    assert "/admin/mission_control/" not in client.get("/admin/").content.decode()


def test_viewer_sees_no_buttons_and_cannot_act(make_client):
    job = factories.failed()
    client = make_client("view")
    html = client.get(f"{LIST}{job.pk}/").content.decode()
    assert "data-action=" not in html and "/edit/" not in html
    assert 'name="action"' not in client.get(f"{LIST}state/failed/").content.decode()
    for action in ("retry", "abort", "destroy"):
        assert client.post(f"{LIST}{job.pk}/action/{action}/").status_code == 403
    assert client.get(f"{LIST}{job.pk}/edit/").status_code == 403
    bulk = client.post(f"{LIST}bulk/", {"action": "retry", "_selected_action": [str(job.pk)]})
    assert bulk.status_code == 403
    assert state_of(job) == "failed"


def test_manager_can_act_but_not_destroy(make_client):
    job = factories.failed()
    client = make_client("manager")
    html = client.get(f"{LIST}{job.pk}/").content.decode()
    assert 'data-action="retry"' in html and 'data-action="destroy"' not in html
    assert client.post(f"{LIST}{job.pk}/action/destroy/").status_code == 403
    bulk = client.post(
        f"{LIST}bulk/", {"action": "destroy", "_selected_action": [f"{job.pk}:failed"]}
    )
    assert bulk.status_code == 403
    assert state_of(job) == "failed"


def test_destroy_permission_alone_does_not_allow_retry(make_client):
    job = factories.failed()
    client = make_client("view", perms=["destroy_job"])
    html = client.get(f"{LIST}{job.pk}/").content.decode()
    assert 'data-action="destroy"' in html and 'data-action="retry"' not in html
    assert client.post(f"{LIST}{job.pk}/action/retry/").status_code == 403


def test_superuser_can_do_everything(db):
    from django.contrib.auth.models import User

    User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.login(username="root", password="pw")
    job = factories.failed()
    assert 'data-action="destroy"' in client.get(f"{LIST}{job.pk}/").content.decode()
    client.post(f"{LIST}{job.pk}/action/retry/", {"expected_state": "failed"})
    assert state_of(job) == "queued"


def test_state_changes_require_csrf(make_client):
    from django.contrib.auth.models import User

    job = factories.failed()
    user = User.objects.create_user("csrf", password="pw", is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(f"{LIST}{job.pk}/action/retry/").status_code == 403
    bulk = client.post(
        f"{LIST}bulk/", {"action": "retry", "post": "yes", "_selected_action": [f"{job.pk}:failed"]}
    )
    assert bulk.status_code == 403
    edit = client.post(f"{LIST}{job.pk}/edit/", {"description": "x", "priority": "1"})
    assert edit.status_code == 403
    assert state_of(job) == "failed"


# -- issue 11, items 2 and 3 -------------------------------------------------------------
def housekeeping_job():
    from rocketjob.jobs import HousekeepingJob

    return HousekeepingJob.create()


def housekeeping_form(**changes: str) -> dict[str, str]:
    values = {
        "description": "housekeeping",
        "priority": "25",
        "log_level": "",
        "run_at": "",
        "throttle_group": "",
        "cron_schedule": "*/15 * * * * UTC",
        "completed_retention": str(7 * 86400),
        "aborted_retention": str(7 * 86400),
        "failed_retention": str(14 * 86400),
        "paused_retention": "",
        "queued_retention": "",
        "destroy_zombies": "on",
    }
    values.update(changes)
    return values


def test_manager_without_destroy_cannot_edit_retention_fields(make_client):
    job = housekeeping_job()
    client = make_client("manager")
    html = client.get(f"{LIST}{job.pk}/edit/").content.decode()
    assert re.search(r'<input type="number" name="failed_retention"[^>]*disabled', html)
    assert "requires the destroy_job permission" in html
    response = client.post(
        f"{LIST}{job.pk}/edit/", housekeeping_form(failed_retention="1", queued_retention="1")
    )
    assert response.status_code == 400
    assert "requires the destroy_job permission" in response.content.decode()
    raw = Job._get_collection().find_one({"_id": job.pk})
    assert raw["failed_retention"] == 14 * 86400
    assert raw.get("queued_retention") is None


def test_manager_may_still_edit_the_other_fields_of_housekeeping(make_client):
    job = housekeeping_job()
    response = make_client("manager").post(f"{LIST}{job.pk}/edit/", housekeeping_form(priority="9"))
    assert response.status_code == 302
    raw = Job._get_collection().find_one({"_id": job.pk})
    assert (raw["priority"], raw["failed_retention"]) == (9, 14 * 86400)
    # A browser does not submit disabled inputs at all: the stored values stay.
    locked = {"completed_retention", "aborted_retention", "failed_retention"}
    without = {k: v for k, v in housekeeping_form(priority="8").items() if k not in locked}
    assert make_client("manager").post(f"{LIST}{job.pk}/edit/", without).status_code == 302
    raw = Job._get_collection().find_one({"_id": job.pk})
    assert (raw["priority"], raw["failed_retention"]) == (8, 14 * 86400)


def test_destroy_permission_allows_editing_retention_fields(make_client):
    job = housekeeping_job()
    response = make_client("admin").post(
        f"{LIST}{job.pk}/edit/", housekeeping_form(failed_retention="60")
    )
    assert response.status_code == 302
    assert Job._get_collection().find_one({"_id": job.pk})["failed_retention"] == 60


def test_job_edit_requires_view_job_as_well_as_manage_job(make_client):
    job = factories.queued(description="old")
    client = make_client(None, perms=["manage_job"])
    assert client.get(f"{LIST}{job.pk}/edit/").status_code == 403
    response = client.post(f"{LIST}{job.pk}/edit/", {"description": "new", "priority": "50"})
    assert response.status_code == 403
    assert Job._get_collection().find_one({"_id": job.pk})["description"] == "old"
