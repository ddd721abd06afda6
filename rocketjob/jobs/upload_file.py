"""UploadFileJob: turn a file into a job of another class (used by Dirmon).

For a batch job class the file is uploaded into the new job's input (``job.upload``), and the
job is saved only if the upload succeeded. A non-batch class must declare an
``upload_file_name`` field, which receives the path (and ``original_file_name`` if declared).
``properties`` set the new job's fields; only its user-editable fields are accepted, never a
field declared ``requires_permission`` (nobody's permission is known when the job is created
from them, so they could delete data on behalf of a user without it), and a path field
(``allowed_path=True``) must lie inside the allow-list. They are checked when set (create,
edit, a Dirmon entry's save) and again before the job is created.
"""

from __future__ import annotations

import os
from typing import Any

import mongoengine as me
from bson import ObjectId

from rocketjob.allowed_paths import PathNotAllowedError, check_allowed, open_allowed
from rocketjob.document import registered_job_classes
from rocketjob.exceptions import RocketJobError
from rocketjob.job import Job


class UploadFileError(RocketJobError, ValueError):
    """The target job class or its properties cannot take the file."""


def resolve_job_class(name: str) -> type[Any]:
    """A registered job class by class name, stored name (``Job.X``) or dotted path."""
    for stored, klass in registered_job_classes().items():
        dotted = f"{klass.__module__}.{klass.__qualname__}"
        if name in (klass.__name__, stored, dotted):
            return klass
    raise UploadFileError(f"no job class named {name!r} is registered in this process")


def is_batch_class(klass: type[Any]) -> bool:
    try:
        from rocketjob.batch import Batch
    except ImportError:  # pragma: no cover - batch is part of the package
        return False
    return issubclass(klass, Batch)


def check_properties(klass: type[Any], properties: dict[str, Any]) -> None:
    """Raise UploadFileError naming every property that is not a user-editable field, needs a
    permission, or names a path outside the allow-list (PathNotAllowedError)."""
    editable = set(klass.user_editable_fields())
    unknown = sorted(set(properties) - editable)
    if unknown:
        raise UploadFileError(
            f"{klass.__name__} does not accept properties {unknown}; user-editable fields "
            f"are {sorted(editable)}"
        )
    guarded = sorted(
        name for name in properties if getattr(klass._fields[name], "requires_permission", None)
    )
    if guarded:
        raise UploadFileError(
            f"{klass.__name__} properties {guarded} need a permission to change; they cannot "
            "be set through properties"
        )
    for name in klass.allowed_path_fields():
        if properties.get(name):
            check_allowed(properties[name], f"property {name}")
    if not is_batch_class(klass) and "upload_file_name" not in klass._fields:
        raise UploadFileError(
            f"{klass.__name__} is neither a batch job nor declares an upload_file_name field, "
            "so it cannot receive a file"
        )


class UploadFileJob(Job):
    """Creates ``job_class_name`` from ``properties`` with the file at ``upload_file_name``."""

    priority = 30

    job_class_name = me.StringField(required=True, user_editable=True)
    properties = me.DictField(user_editable=True)
    #: Must lie inside ``ROCKETJOB["dirmon_allowed_paths"]`` (see rocketjob.allowed_paths).
    upload_file_name = me.StringField(required=True, user_editable=True, allowed_path=True)
    original_file_name = me.StringField(user_editable=True)
    #: Id of the job to create (Dirmon names the archived file after it).
    job_id = me.ObjectIdField()

    def clean(self) -> None:
        super().clean()
        # Checked when they are set, so an edit is refused at once; perform checks them again.
        # A class this process does not know is left to the worker that runs the job.
        changed = set(self._get_changed_fields()) if self.pk else None
        if changed is not None and not changed & {"job_class_name", "properties"}:
            return
        try:
            klass = resolve_job_class(self.job_class_name)
        except UploadFileError:
            return
        try:
            check_properties(klass, dict(self.properties or {}))
        except (UploadFileError, PathNotAllowedError) as exc:
            raise me.ValidationError(str(exc), field_name="properties") from exc

    def perform(self) -> Any:
        klass = resolve_job_class(self.job_class_name)
        properties = dict(self.properties or {})
        check_properties(klass, properties)
        job_id = self.job_id or ObjectId()
        if Job._get_collection().find_one({"_id": job_id}, {"_id": 1}):
            self.logger.info("job already created", extra={"job_id": str(job_id)})
            return job_id  # a retry after the job was saved
        job = klass.build(**properties)
        job.id = job_id
        job.created_by = self.created_by  # whoever created the upload created the job
        if is_batch_class(klass):
            # The opened file itself is checked, so a symlink swapped in after the worker's
            # path check cannot make it read a file outside the allow-list.
            name = self.original_file_name or os.path.basename(self.upload_file_name)
            try:
                with open_allowed(self.upload_file_name, "upload_file_name") as stream:
                    job.upload(stream, file_name=name)
            except BaseException:
                job.input().drop()  # the id was preset, so upload keeps its collection
                raise
        else:
            job.upload_file_name = self.upload_file_name
            if "original_file_name" in klass._fields:
                job.original_file_name = self.original_file_name
        job.save(force_insert=True)
        self.job_id = job_id
        self.logger.info(
            "created job from file",
            extra={"job_id": str(job_id), "job_class": klass.__name__},
        )
        return job_id
