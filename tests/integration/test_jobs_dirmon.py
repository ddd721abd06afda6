"""DirmonEntry and DirmonJob on the real server with real files in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from rocketjob import JobValidationError
from rocketjob.exceptions import RocketJobError
from rocketjob.jobs import DirmonEntry, DirmonJob, UploadFileJob
from tests.jobsapp.batch_jobs import EchoBatchJob
from tests.jobsapp.plugin_jobs import FileNoteJob, work_next


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Path]:
    allowed = {**settings.ROCKETJOB, "dirmon_allowed_paths": [str(tmp_path)]}
    with override_settings(ROCKETJOB=allowed):
        yield tmp_path


def _entry(inbox: Path, **fields: object) -> DirmonEntry:
    values: dict[str, object] = {
        "name": "notes",
        "pattern": str(inbox / "in" / "*.txt"),
        "job_class_name": "FileNoteJob",
        "properties": {"label": "from dirmon"},
    }
    values.update(fields)
    entry = DirmonEntry(**values)
    entry.save()
    entry.enable()
    return entry


def _scan_again(previous: list[dict[str, object]]) -> DirmonJob:
    job = DirmonJob.build(previous_file_names=previous)
    job.perform()
    return job


def test_a_file_starts_a_job_only_once_its_size_is_stable(inbox: Path) -> None:
    _entry(inbox)
    (inbox / "in").mkdir()
    growing = inbox / "in" / "a.txt"
    growing.write_text("first part")
    first = _scan_again([])
    assert FileNoteJob.objects.count() == 0
    growing.write_text("first part, second part")
    second = _scan_again(first.previous_file_names)
    assert FileNoteJob.objects.count() == 0  # grew since the last check
    _scan_again(second.previous_file_names)
    job = FileNoteJob.objects.get()
    assert job.label == "from dirmon"
    assert job.original_file_name == str(growing)
    archived = Path(job.upload_file_name)
    assert archived == inbox / "in" / "archive" / f"{job.pk}_a.txt"
    assert archived.read_text() == "first part, second part"
    assert not growing.exists()


def test_batch_classes_get_an_upload_file_job_that_uploads(inbox: Path) -> None:
    _entry(
        inbox,
        job_class_name="EchoBatchJob",
        properties={"priority": 20},
        pattern=str(inbox / "*.csv"),
    )
    data = inbox / "rows.csv"
    data.write_text("one\ntwo\nthree\n")
    job = _scan_again([])
    _scan_again(job.previous_file_names)
    upload = UploadFileJob.objects.get()
    assert upload.job_class_name == "EchoBatchJob"
    assert Path(upload.upload_file_name).name == f"{upload.job_id}_rows.csv"
    assert work_next() is not None
    batch = EchoBatchJob.objects.get()
    assert batch.pk == upload.job_id
    assert batch.priority == 20
    assert batch.record_count == 3


def test_the_job_re_schedules_itself_and_remembers_sizes(inbox: Path) -> None:
    from rocketjob.runtime.server import Server

    Server.register("test-host:1", max_workers=1)
    _entry(inbox)
    (inbox / "in").mkdir()
    (inbox / "in" / "b.txt").write_text("hello")
    dirmon = DirmonJob.create()
    assert dirmon.cron_schedule == "*/5 * * * * UTC" and dirmon.priority == 30
    dirmon.run_now()
    assert work_next() is not None
    following = DirmonJob.objects.get(state="queued")
    assert following.previous_file_names == [{"path": str(inbox / "in" / "b.txt"), "size": 5}]
    following.run_now()
    assert work_next() is not None
    assert FileNoteJob.objects.count() == 1


def test_entry_that_raises_moves_to_failed_with_the_error(
    inbox: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    good = _entry(inbox)
    (inbox / "in").mkdir()
    (inbox / "in" / "c.txt").write_text("x")
    outside = tmp_path_factory.mktemp("outside")
    bad = _entry(inbox, name="bad", pattern=str(inbox / "bad" / "*.txt"))
    # The allow-list shrinks after the entry was enabled: scanning it now raises.
    DirmonEntry.objects(pk=bad.pk).update(set__pattern=str(outside / "*.txt"))
    job = _scan_again([])
    bad.reload()
    good.reload()
    assert bad.state == "failed"
    assert "outside the allowed paths" in bad.exception.message
    assert good.state == "enabled"
    assert job.previous_file_names == [{"path": str(inbox / "in" / "c.txt"), "size": 1}]
    bad.update(set__pattern=str(inbox / "bad" / "*.txt"))
    bad.reload()
    bad.enable()
    assert bad.state == "enabled" and bad.exception is None


def test_paths_outside_the_allow_list_are_refused(inbox: Path) -> None:
    with pytest.raises(JobValidationError, match="outside the allowed paths"):
        _entry(inbox, pattern="/etc/*.conf")
    with pytest.raises(JobValidationError, match="outside the allowed paths"):
        _entry(inbox, name="escape", pattern=str(inbox / ".." / "*.txt"))
    with pytest.raises(JobValidationError, match="outside the allowed paths"):
        _entry(inbox, name="archive", archive_directory="/tmp/elsewhere")


def test_no_allow_list_means_nothing_can_be_created_or_enabled(tmp_path: Path) -> None:
    no_setting = "no ROCKETJOB\\['dirmon_allowed_paths'\\] are set"
    entry = DirmonEntry(name="n", pattern=str(tmp_path / "*"), job_class_name="FileNoteJob")
    with pytest.raises(JobValidationError, match=no_setting):
        entry.save()
    assert DirmonEntry.objects.count() == 0
    # One stored while the setting still allowed it cannot be enabled now.
    allowed = {**settings.ROCKETJOB, "dirmon_allowed_paths": [str(tmp_path)]}
    with override_settings(ROCKETJOB=allowed):
        entry.save()
    assert entry.state == "pending"
    with pytest.raises(JobValidationError, match=no_setting):
        entry.enable()
    entry.reload()
    assert entry.state == "pending"
    entry.disable()  # an entry the allow-list no longer covers can still be disabled
    assert DirmonEntry.objects.get(pk=entry.pk).state == "disabled"


def test_pending_entries_are_checked_at_create_and_when_their_paths_change(
    inbox: Path,
) -> None:
    for fields in (
        {"pattern": "/etc/*.conf"},
        {"pattern": str(inbox / "x" / "*.txt"), "archive_directory": "/tmp/elsewhere"},
    ):
        entry = DirmonEntry(name="p", job_class_name="FileNoteJob", **fields)
        with pytest.raises(JobValidationError, match="outside the allowed paths"):
            entry.save()
    assert DirmonEntry.objects.count() == 0
    entry = DirmonEntry(name="p", pattern=str(inbox / "x" / "*.txt"), job_class_name="FileNoteJob")
    entry.save()
    entry.pattern = "/etc/*.conf"
    with pytest.raises(JobValidationError, match="outside the allowed paths"):
        entry.save()
    assert DirmonEntry.objects.get(pk=entry.pk).pattern == str(inbox / "x" / "*.txt")


def test_properties_are_validated_against_user_editable_fields(inbox: Path) -> None:
    with pytest.raises(
        JobValidationError, match=r"does not accept properties \['upload_file_name'\]"
    ):
        DirmonEntry(
            name="p",
            pattern=str(inbox / "*"),
            job_class_name="FileNoteJob",
            properties={"upload_file_name": "/etc/passwd"},
        ).save()
    with pytest.raises(JobValidationError, match="no job class named 'NoSuchJob'"):
        DirmonEntry(name="q", pattern=str(inbox / "*"), job_class_name="NoSuchJob").save()
    with pytest.raises(JobValidationError, match="is neither a batch job nor declares"):
        DirmonEntry(name="r", pattern=str(inbox / "*"), job_class_name="NoopJob").save()


def test_states_and_transitions(inbox: Path) -> None:
    entry = _entry(inbox)
    assert entry.state == "enabled"
    entry.disable()
    assert DirmonEntry.objects.get(pk=entry.pk).state == "disabled"
    with pytest.raises(RocketJobError, match="cannot fail"):
        entry.fail(RuntimeError("x"))
    entry.enable()
    assert DirmonEntry.objects(state="enabled").count() == 1


def test_name_and_pattern_are_unique(inbox: Path) -> None:
    _entry(inbox)
    with pytest.raises(Exception, match=r"(?i)duplicate|unique"):
        DirmonEntry(name="notes", pattern=str(inbox / "other"), job_class_name="FileNoteJob").save()


def test_properties_cannot_name_an_outside_path_or_a_field_that_needs_a_permission(
    inbox: Path,
) -> None:
    base = {"name": "r", "pattern": str(inbox / "*.txt"), "job_class_name": "ReportPathBatchJob"}
    with pytest.raises(JobValidationError, match=r"property report_path .* outside the allowed"):
        DirmonEntry(**base, properties={"report_path": "/etc/shadow"}).save()
    with pytest.raises(JobValidationError, match=r"\['keep_days'\] need a permission"):
        DirmonEntry(**base, properties={"keep_days": 1}).save()
    assert DirmonEntry.objects.count() == 0


def test_an_unreadable_entry_does_not_stop_the_scan_of_the_others(inbox: Path) -> None:
    good = _entry(inbox)
    (inbox / "in").mkdir()
    (inbox / "in" / "c.txt").write_text("x")
    DirmonEntry._get_collection().insert_one(
        {
            "name": "bad",
            "pattern": "/x/*",
            "job_class_name": "FileNoteJob",
            "state": "enabled",
            "exception": "not a document",
        }
    )
    job = _scan_again([{"path": str(inbox / "in" / "c.txt"), "size": 1}])
    assert FileNoteJob.objects.count() == 1  # the good entry's file started its job
    assert job.previous_file_names == []
    good.reload()
    assert good.state == "enabled"
