"""A plugin written by a user, the way the seeds' Singleton example is written."""

from __future__ import annotations

import mongoengine as me
import pytest

from rocketjob import Job, JobValidationError, after


class OnlyOneAtATime:
    """User plugin: refuse a second queued or running instance of the job class."""

    def clean(self) -> None:
        super().clean()  # type: ignore[misc]
        if self.state not in ("queued", "running"):  # type: ignore[attr-defined]
            return
        active = type(self).objects(state__in=["queued", "running"])  # type: ignore[attr-defined]
        if self.pk is not None:  # type: ignore[attr-defined]
            active = active.filter(pk__ne=self.pk)  # type: ignore[attr-defined]
        if active.first() is not None:
            raise me.ValidationError(
                errors={"state": "Another instance of this job is already queued or running"}
            )


class AuditTrail:
    """User plugin adding a field and a callback."""

    audit = me.ListField(me.StringField())

    @after("start")
    def rocketjob_audit_start(self) -> None:
        self.audit.append(f"started by {self.worker_name}")  # type: ignore[attr-defined]


class NightlyExport(OnlyOneAtATime, AuditTrail, Job):
    destroy_on_complete = False

    def perform(self) -> None:
        return None


def test_user_plugin_refuses_a_second_instance_with_a_clear_error() -> None:
    NightlyExport.create()
    with pytest.raises(JobValidationError, match="already queued or running"):
        NightlyExport.create()
    assert NightlyExport.objects.count() == 1


def test_user_plugin_allows_a_new_instance_once_the_first_finished() -> None:
    first = NightlyExport.create()
    first.start(worker_name="w:1:0")
    first.complete()
    NightlyExport.create()
    assert NightlyExport.objects.count() == 2


def test_plugin_fields_and_callbacks_compose() -> None:
    job = NightlyExport.create()
    job.start(worker_name="w:1:0")
    assert job.audit == ["started by w:1:0"]
    assert "audit" in NightlyExport._fields
