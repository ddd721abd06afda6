"""DirmonEntry: "when a file matching this pattern arrives, start this job with it".

Stored in ``rocketjob_dirmon_entries``. An entry names a glob ``pattern``, the
``job_class_name`` to start, its ``properties`` (only the class's user-editable fields), and an
``archive_directory`` (relative ones are relative to each file's directory) where files are
moved, renamed ``<job id>_<file name>``, before their job is created.

States: ``pending`` (created, not yet watched) -> ``enabled`` <-> ``disabled``; an entry whose
processing raises moves to ``failed`` with the error in ``exception`` (enable it again after
fixing the cause).

Security: patterns, matched files and archive directories must lie inside
``ROCKETJOB["dirmon_allowed_paths"]`` (see :mod:`rocketjob.allowed_paths`: resolved, so ``..``
and symlinks cannot escape), checked when an entry is created, when its pattern or archive
directory changes, when it is enabled and at every scan; with no allowed paths no entry can
be created. ``properties`` obey :func:`rocketjob.jobs.upload_file.check_properties`.
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path
from typing import Any

import mongoengine as me
from bson import ObjectId

from rocketjob import queries
from rocketjob.allowed_paths import PathNotAllowedError, check_allowed
from rocketjob.connection import register_index_hook
from rocketjob.exceptions import JobValidationError, RocketJobError
from rocketjob.fields import UTCDateTimeField, unstorable_reason
from rocketjob.plugins.job.model import JobException, utc_now

STATES = ("pending", "enabled", "disabled", "failed")
TRANSITIONS = {
    "enable": ("pending", "disabled", "failed"),
    "disable": ("pending", "enabled", "failed"),
    "fail": ("enabled",),
}


#: The name Dirmon's callers know; the check itself lives in :mod:`rocketjob.allowed_paths`.
DirmonPathError = PathNotAllowedError


def pattern_directory(pattern: str) -> str:
    """The part of a glob pattern before its first wildcard, as a directory."""
    parts = Path(os.path.expanduser(pattern)).parts
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    else:
        fixed = fixed[:-1]
    return str(Path(*fixed)) if fixed else "."


class DirmonEntry(me.Document):
    """One watched pattern and the job it starts."""

    name = me.StringField(required=True, max_length=200)
    pattern = me.StringField(required=True)
    job_class_name = me.StringField(required=True)
    properties = me.DictField()
    archive_directory = me.StringField(default="archive")
    state = me.StringField(default="pending", choices=STATES, required=True)
    exception = me.EmbeddedDocumentField(JobException)
    created_at = UTCDateTimeField(default=utc_now)
    updated_at = UTCDateTimeField(default=utc_now)
    #: Who created the entry (Mission Control sets it); the jobs it starts carry it as their
    #: ``created_by``, so Mission Control's "user" role may act on them.
    created_by = me.StringField(max_length=150)

    meta = {
        "collection": "rocketjob_dirmon_entries",
        "db_alias": "rocketjob",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["name"], "unique": True, "name": "rocketjob_dirmon_name"},
            {"fields": ["pattern"], "unique": True, "name": "rocketjob_dirmon_pattern"},
            {"fields": ["state"], "name": "rocketjob_dirmon_state"},
        ],
    }

    @classmethod
    def stored(cls, query: dict[str, Any] | None = None) -> list[tuple[DirmonEntry, bool]]:
        """Entries matching ``query`` by name, each with whether its document could be read.

        One that cannot (a field of the wrong type, written by another tool or by hand) comes
        back as an unsaved stand-in with its id, its other fields as text and the state
        ``unreadable``: it can be shown and destroyed, and is never scanned or enabled, so
        it takes neither Mission Control's pages nor the other entries' scans down.
        """
        found: list[tuple[DirmonEntry, bool]] = []
        for raw in cls._get_collection().find(query or {}).sort("name", 1):
            try:
                entry = cls._from_son(raw)
                me.Document.validate(entry, clean=False)
            except Exception:  # any failure to read the document means: not readable
                text = {f: str(raw.get(f, "")) for f in ("name", "pattern", "job_class_name")}
                stand_in = cls(id=raw.get("_id"), state="unreadable", **text)
                stand_in.archive_directory = str(raw.get("archive_directory", ""))
                found.append((stand_in, False))
            else:
                found.append((entry, True))
        return found

    def validate(self, clean: bool = True) -> None:
        """mongoengine validation, raising JobValidationError with one readable message."""
        try:
            super().validate(clean=clean)
        except me.ValidationError as exc:
            errors = exc.to_dict() if exc.errors else {}
            detail = "; ".join(
                str(message) if name == "__all__" else f"{name}: {message}"
                for name, message in sorted(errors.items())
            )
            error = JobValidationError(detail or exc.message)
            error.errors = exc.errors
            raise error from exc

    def clean(self) -> None:
        from rocketjob.jobs.upload_file import UploadFileError, check_properties, resolve_job_class

        try:
            check_properties(resolve_job_class(self.job_class_name), dict(self.properties or {}))
        except (UploadFileError, DirmonPathError) as exc:
            raise me.ValidationError(f"dirmon entry {self.name!r}: {exc}") from exc
        unstorable = unstorable_reason(self.properties or {})
        if unstorable:
            raise me.ValidationError(f"dirmon entry {self.name!r} properties: {unstorable}")
        if self.rocketjob_paths_to_check():
            try:
                self.check_paths()
            except DirmonPathError as exc:
                raise me.ValidationError(f"dirmon entry {self.name!r}: {exc}") from exc
        self.updated_at = utc_now()  # type: ignore[assignment]

    def rocketjob_paths_to_check(self) -> bool:
        """Whether ``clean`` checks the paths: on create, when the pattern or archive directory
        changes, and whenever the entry is enabled. A stored entry whose paths the allow-list
        no longer covers can still be disabled (and fails at its next scan)."""
        if self.state == "enabled" or self.pk is None:
            return True
        changed = set(self._get_changed_fields())
        return bool(changed & {"pattern", "archive_directory"})

    def check_paths(self) -> None:
        """Raise DirmonPathError unless the pattern and the archive directory are allowed."""
        check_allowed(pattern_directory(self.pattern), "pattern")
        archive = Path(os.path.expanduser(self.archive_directory or "archive"))
        if archive.is_absolute():
            check_allowed(archive, "archive directory")

    # -- state changes (atomic, guarded by the current state) ------------------------------
    def fire(self, event: str, **fields: Any) -> None:
        sources = TRANSITIONS[event]
        if self.state not in sources:
            raise RocketJobError(f"cannot {event} dirmon entry {self.name!r} while {self.state}")
        destination = {"enable": "enabled", "disable": "disabled", "fail": "failed"}[event]
        previous = self.state
        self.state = destination
        for key, value in fields.items():
            setattr(self, key, value)
        if event == "enable":
            self.exception = None
        self.validate()
        sets, unsets = self._delta()
        update: dict[str, Any] = {"$set": sets} if sets else {}
        if unsets:
            update["$unset"] = unsets
        stored = self._get_collection().find_one_and_update(
            queries.matching(self.pk, {"state": previous}), update, projection={"state": 1}
        )
        if stored is None:
            self.reload()
            raise RocketJobError(f"dirmon entry {self.name!r} changed meanwhile; now {self.state}")
        self._clear_changed_fields()

    def enable(self) -> None:
        self.fire("enable")

    def disable(self) -> None:
        self.fire("disable")

    def fail(self, exc: BaseException) -> None:
        self.fire("fail", exception=JobException.from_exception(exc))

    # -- files ----------------------------------------------------------------------------
    def matching_files(self) -> list[Path]:
        """Regular files matching the pattern, inside the allowed paths, excluding archives."""
        self.check_paths()
        found = []
        for name in sorted(glob.glob(os.path.expanduser(self.pattern), recursive=True)):
            path = Path(name)
            if not path.is_file() or self.is_archived(path):
                continue
            check_allowed(path, "file")
            found.append(path)
        return found

    def is_archived(self, path: Path) -> bool:
        """Whether ``path`` already lies in an archive directory of this entry."""
        archive = Path(os.path.expanduser(self.archive_directory or "archive"))
        if not archive.is_absolute():
            return path.parent.parts[-len(archive.parts) :] == archive.parts
        return Path(os.path.realpath(archive)) in Path(os.path.realpath(path)).parents

    def archive_path(self, path: Path, job_id: ObjectId) -> Path:
        archive = Path(os.path.expanduser(self.archive_directory or "archive"))
        if not archive.is_absolute():
            archive = path.parent / archive
        check_allowed(archive, "archive directory")
        return archive / f"{job_id}_{path.name}"

    def start_job(self, path: Path) -> Any:
        """Move ``path`` to the archive and create the job that processes it."""
        from rocketjob.jobs.upload_file import UploadFileJob, is_batch_class, resolve_job_class

        job_id = ObjectId()
        target = self.archive_path(path, job_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(target))
        klass = resolve_job_class(self.job_class_name)
        properties = dict(self.properties or {})
        if not is_batch_class(klass):  # created directly: nothing to upload
            job = klass.build(**properties, upload_file_name=str(target))
            job.created_by = self.created_by
            if "original_file_name" in klass._fields:
                job.original_file_name = str(path)
            job.id = job_id
            job.save(force_insert=True)
            return job
        return UploadFileJob.create(
            job_class_name=self.job_class_name,
            properties=properties,
            upload_file_name=str(target),
            original_file_name=str(path),
            job_id=job_id,
            description=f"dirmon {self.name}: {path.name}",
            created_by=self.created_by,
        )

    def __str__(self) -> str:
        return f"DirmonEntry({self.name})"


def _ensure_indexes() -> None:
    DirmonEntry.ensure_indexes()


register_index_hook(_ensure_indexes)
