"""Dirmon entries in Mission Control: create (class first), edit, copy, enable/disable, destroy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from rocketjob.jobs.dirmon_entry import DirmonEntry

DIRMON = "/admin/mission_control/dirmonentry/"


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Path]:
    allowed = {**settings.ROCKETJOB, "dirmon_allowed_paths": [str(tmp_path)]}
    with override_settings(ROCKETJOB=allowed):
        yield tmp_path


def make_entry(inbox: Path, name: str = "notes", **fields) -> DirmonEntry:
    values = {
        "name": name,
        "pattern": str(inbox / name / "*.txt"),
        "job_class_name": "FileNoteJob",
        "properties": {"label": "x"},
    }
    values.update(fields)
    entry = DirmonEntry(**values)
    entry.save()
    return entry


def test_list_by_state_with_counts(make_client, inbox):
    make_entry(inbox, "a")
    make_entry(inbox, "b").enable()
    client = make_client("view")
    html = client.get(DIRMON).content.decode()
    assert html.count("data-entry=") == 2
    enabled = client.get(f"{DIRMON}state/enabled/").content.decode()
    assert enabled.count("data-entry=") == 1 and ">b</a>" in enabled
    assert client.get(f"{DIRMON}state/bogus/").status_code == 404
    assert "New dirmon entry" not in html  # the view role cannot create


def test_create_picks_the_class_then_typed_properties(make_client, inbox):
    client = make_client("dirmon")
    chooser = client.get(f"{DIRMON}new/").content.decode()
    assert '<option value="FileNoteJob">' in chooser and "UploadFileJob" not in chooser
    assert '<option value="RecordCheckBatchJob">' in chooser
    form = client.get(f"{DIRMON}new/", {"job_class_name": "RecordCheckBatchJob"}).content.decode()
    assert 'name="property_priority"' in form and 'name="property_log_level"' in form
    response = client.post(
        f"{DIRMON}new/?job_class_name=RecordCheckBatchJob",
        {
            "name": "imports",
            "pattern": str(inbox / "*.csv"),
            "archive_directory": "archive",
            "property_priority": "50",
            "property_description": "nightly",
            "property_log_level": "",
        },
    )
    assert response.status_code == 302
    entry = DirmonEntry.objects.get(name="imports")
    assert entry.job_class_name == "RecordCheckBatchJob" and entry.state == "pending"
    assert entry.properties == {"description": "nightly"}  # priority equals the default


def test_create_shows_errors(make_client, inbox):
    make_entry(inbox, "taken")
    client = make_client("dirmon")
    url = f"{DIRMON}new/?job_class_name=FileNoteJob"
    missing = client.post(url, {"name": "", "pattern": "", "archive_directory": "archive"})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    duplicate = client.post(
        url,
        {
            "name": "taken",
            "pattern": str(inbox / "taken" / "*.txt"),
            "archive_directory": "archive",
        },
    )
    assert "already has this name or pattern" in duplicate.content.decode()
    assert DirmonEntry.objects.count() == 1


def test_edit_and_copy(make_client, inbox):
    entry = make_entry(inbox)
    client = make_client("dirmon")
    form = client.get(f"{DIRMON}{entry.pk}/edit/").content.decode()
    assert 'value="notes"' in form and 'name="property_label"' in form and 'value="x"' in form
    client.post(
        f"{DIRMON}{entry.pk}/edit/",
        {
            "name": "notes",
            "pattern": entry.pattern,
            "archive_directory": "done",
            "property_label": "y",
        },
    )
    entry.reload()
    assert (entry.archive_directory, entry.properties) == ("done", {"label": "y"})
    copy = client.get(f"{DIRMON}new/", {"job_class_name": "FileNoteJob", "copy": str(entry.pk)})
    assert 'value="Copy of notes"' in copy.content.decode()


def test_enable_disable_and_conflicts(make_client, inbox):
    entry = make_entry(inbox)
    client = make_client("dirmon")
    html = client.get(f"{DIRMON}{entry.pk}/").content.decode()
    assert 'data-action="enable"' in html and 'data-action="destroy"' not in html
    client.post(f"{DIRMON}{entry.pk}/enable/", {"expected_state": "pending"})
    entry.reload()
    assert entry.state == "enabled"
    stale = client.post(f"{DIRMON}{entry.pk}/enable/", {"expected_state": "pending"}, follow=True)
    assert "changed from pending to enabled meanwhile" in stale.content.decode()
    client.post(f"{DIRMON}{entry.pk}/disable/", {"expected_state": "enabled"})
    entry.reload()
    assert entry.state == "disabled"
    assert client.get(f"{DIRMON}{entry.pk}/enable/").status_code == 405


def test_enable_outside_allowed_paths_shows_the_reason(make_client, inbox):
    # Saved before the allow-list was narrowed: today it could not be created at all.
    entry = make_entry(inbox, pattern=str(inbox / "later-outside" / "*.conf"))
    DirmonEntry.objects(pk=entry.pk).update(set__pattern="/etc/*.conf")
    response = make_client("dirmon").post(f"{DIRMON}{entry.pk}/enable/", follow=True)
    assert "outside the allowed paths" in response.content.decode()
    entry.reload()
    assert entry.state == "pending"


def test_destroy_needs_admin(make_client, inbox):
    entry = make_entry(inbox)
    assert make_client("dirmon").post(f"{DIRMON}{entry.pk}/destroy/").status_code == 403
    client = make_client("admin")
    assert (
        "Destroy dirmon entry notes?" in client.get(f"{DIRMON}{entry.pk}/destroy/").content.decode()
    )
    client.post(f"{DIRMON}{entry.pk}/destroy/")
    assert DirmonEntry.objects.count() == 0


def test_viewer_cannot_change_entries(make_client, inbox):
    entry = make_entry(inbox)
    client = make_client("view")
    assert client.post(f"{DIRMON}{entry.pk}/enable/").status_code == 403
    assert client.get(f"{DIRMON}{entry.pk}/edit/").status_code == 403
    assert client.get(f"{DIRMON}new/").status_code == 403
    assert client.get(f"{DIRMON}ffffffffffffffffffffffff/").status_code == 404


def test_entry_data_is_escaped(make_client, inbox):
    entry = make_entry(
        inbox,
        "<script>alert(1)</script>",
        pattern=str(inbox / "x" / "*.txt"),
        properties={"label": "<script>alert(2)</script>"},
    )
    client = make_client("admin")
    for url in (DIRMON, f"{DIRMON}{entry.pk}/", f"{DIRMON}{entry.pk}/edit/"):
        html = client.get(url).content.decode()
        assert "<script>alert(" not in html and "&lt;script&gt;alert(" in html


def test_properties_that_need_another_permission_are_not_offered(make_client, inbox):
    client = make_client("dirmon")
    url = f"{DIRMON}new/?job_class_name=ReportPathBatchJob"
    form = client.get(url).content.decode()
    assert 'name="property_report_path"' in form
    assert 'name="property_keep_days"' not in form
    response = client.post(
        url,
        {
            "name": "reports",
            "pattern": str(inbox / "*.txt"),
            "archive_directory": "archive",
            "property_keep_days": "1",
        },
    )
    assert response.status_code == 302
    assert "keep_days" not in DirmonEntry.objects.get(name="reports").properties


@pytest.mark.parametrize(
    "paths",
    [
        {"pattern": "/etc/*.conf", "archive_directory": "archive"},
        {"pattern": "INBOX/../*.conf", "archive_directory": "archive"},
        {"pattern": "INBOX/*.txt", "archive_directory": "/tmp/elsewhere"},
    ],
)
def test_a_pending_entry_outside_the_allowed_paths_is_refused_at_create(make_client, inbox, paths):
    values = {k: v.replace("INBOX", str(inbox)) for k, v in paths.items()}
    response = make_client("dirmon").post(
        f"{DIRMON}new/?job_class_name=FileNoteJob", {"name": "sneaky", **values}
    )
    assert response.status_code == 400
    assert "outside the allowed paths" in response.content.decode()
    assert DirmonEntry.objects.count() == 0


def test_editing_a_pending_entry_to_a_path_outside_is_refused(make_client, inbox):
    entry = make_entry(inbox)
    response = make_client("dirmon").post(
        f"{DIRMON}{entry.pk}/edit/",
        {"name": "notes", "pattern": "/etc/*.conf", "archive_directory": "archive"},
    )
    assert response.status_code == 400
    assert "outside the allowed paths" in response.content.decode()
    entry.reload()
    assert entry.pattern == str(inbox / "notes" / "*.txt") and entry.state == "pending"


def test_a_property_naming_a_path_outside_the_allowed_paths_is_refused(make_client, inbox):
    response = make_client("dirmon").post(
        f"{DIRMON}new/?job_class_name=ReportPathBatchJob",
        {
            "name": "reports",
            "pattern": str(inbox / "*.txt"),
            "archive_directory": "archive",
            "property_report_path": "/etc/shadow",
        },
    )
    assert response.status_code == 400
    assert "outside the allowed paths" in response.content.decode()
    assert DirmonEntry.objects.count() == 0
