"""Creating, loading and atomically updating jobs, and the class-level queries (scopes).

All writes that change a job's state go through :meth:`rocketjob_persist_transition`, a single
``find_one_and_update`` whose filter includes the expected current state. Everything else is
plain mongoengine.
"""

from __future__ import annotations

from typing import Any

import mongoengine as me
from mongoengine.base import get_document
from mongoengine.errors import FieldDoesNotExist, NotRegistered
from pymongo import ReturnDocument

from rocketjob import queries
from rocketjob.exceptions import (
    JobValidationError,
    StateConflictError,
    UnknownJobClassError,
    UnknownJobFieldError,
)
from rocketjob.fields import unstorable_reason
from rocketjob.plugins.job import changes
from rocketjob.plugins.job.fast_load import load_scalar_document
from rocketjob.plugins.job.model import STATES, utc_now


class PersistenceMixin:
    """Class-level constructors and queries, and atomic instance updates."""

    # Provided by mongoengine's Document.
    objects: Any
    _class_name: str
    _subclasses: tuple[str, ...]
    pk: Any

    # -- creation -------------------------------------------------------------------------
    @classmethod
    def build(cls, **fields: Any) -> Any:
        """Instantiate without saving; unknown fields raise UnknownJobFieldError."""
        try:
            return cls(**fields)
        except FieldDoesNotExist as exc:
            unknown = sorted(set(fields) - set(cls._fields))  # type: ignore[attr-defined]
            raise UnknownJobFieldError(
                f"{cls.__name__} has no field(s) {unknown}; declared fields: {sorted(cls._fields)}"  # type: ignore[attr-defined]
            ) from exc

    @classmethod
    def create(cls, **fields: Any) -> Any:
        """Validate and enqueue a new job; returns the saved job."""
        job = cls.build(**fields)
        job.rocketjob_check_encodable(fields)
        job.save(force_insert=True)
        return job

    def rocketjob_check_encodable(self, names: Any) -> None:
        """JobValidationError for a field whose value MongoDB cannot store, e.g. an integer
        beyond int64 (also inside a dict) or a date past year 9999 once in UTC.

        Without it pymongo raises OverflowError at the write: a 500 in Mission Control's edit
        form and a raw traceback from ``create``. Only the named (set) fields are encoded.
        """
        errors: dict[str, me.ValidationError] = {}
        for name in names:
            field = self._fields.get(name)  # type: ignore[attr-defined]
            value = getattr(self, name, None)
            if field is None or value is None:
                continue
            try:
                stored = field.to_mongo(value)
            except (TypeError, ValueError):
                continue  # a wrong type: mongoengine's validation reports it
            message = unstorable_reason(stored)
            if message:
                errors[name] = me.ValidationError(message, field_name=name)
        if errors:
            detail = "; ".join(f"{name}: {e.message}" for name, e in sorted(errors.items()))
            error = JobValidationError(f"{type(self).__name__} is invalid: {detail}")
            error.errors = errors
            raise error

    def validate(self, clean: bool = True) -> None:
        """mongoengine validation, raising :class:`JobValidationError` with every field's error."""
        try:
            super().validate(clean=clean)  # type: ignore[misc]
        except JobValidationError:
            raise
        except me.ValidationError as exc:
            raise self.rocketjob_invalid(exc) from exc

    def rocketjob_invalid(self, exc: me.ValidationError) -> JobValidationError:
        """``exc`` as the JobValidationError that names every invalid field."""
        error = JobValidationError(f"{type(self).__name__} is invalid: {_describe(exc)}")
        error.errors = exc.errors
        error.field_name = exc.field_name
        return error

    # -- loading --------------------------------------------------------------------------
    @classmethod
    def _from_son(cls, son: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return super()._from_son(son, *args, **kwargs)  # type: ignore[misc]
        except NotRegistered as exc:
            raise UnknownJobClassError(son.get("_cls", "?"), son.get("_id")) from exc

    @classmethod
    def rocketjob_load_claimed(cls, son: dict[str, Any]) -> Any:
        """The job for a document the claim returned: built directly when every stored value
        is a scalar (rocketjob/plugins/job/fast_load.py), else by ``_from_son``."""
        name = son.get("_cls", cls._class_name)
        try:
            klass = cls if name == cls._class_name else get_document(name)
        except NotRegistered as exc:
            raise UnknownJobClassError(name, son.get("_id")) from exc
        job = load_scalar_document(klass, son)
        return job if job is not None else cls._from_son(son)

    @classmethod
    def load(cls, job_id: Any) -> Any:
        """The job with ``job_id`` (any class); raises UnknownJobClassError or DoesNotExist."""
        raw = cls._get_collection().find_one({"_id": _object_id(job_id)})  # type: ignore[attr-defined]
        if raw is None:
            raise cls.DoesNotExist(f"no job with id {job_id}")  # type: ignore[attr-defined]
        return cls._from_son(raw)

    # -- atomic updates -------------------------------------------------------------------
    def rocketjob_persist_transition(self, event: str, expected: dict[str, Any]) -> None:
        """Save changed fields only if the stored job still matches ``expected``."""
        if self.pk is None:
            self.save(force_insert=True)  # type: ignore[attr-defined]
            return
        # Usually a few scalar fields changed: validate and render just those (changes.py).
        scalars = changes.scalar_changes(self)
        if scalars is None:
            self.validate()
        elif errors := changes.validation_errors(self, scalars):
            raise self.rocketjob_invalid(me.ValidationError("invalid changes", errors=errors))
        if event == "complete" and getattr(self, "destroy_on_complete", False):
            self.rocketjob_delete_if(event, expected)
            return
        update = (
            self.rocketjob_changes() if scalars is None else changes.scalar_update(self, scalars)
        )
        if not update:
            return
        stored = self._get_collection().find_one_and_update(  # type: ignore[attr-defined]
            queries.matching(self.pk, expected),
            update,
            projection={"state": 1},
            return_document=ReturnDocument.AFTER,
        )
        if stored is None:
            self.rocketjob_raise_conflict(event, expected)
        if scalars is None:
            self._clear_changed_fields()  # type: ignore[attr-defined]
        else:  # nothing nested changed: no embedded document has changes to clear
            self._changed_fields: list[str] = []

    def rocketjob_changes(self) -> dict[str, Any]:
        """The fields changed in memory as a ``$set``/``$unset`` update (empty if none)."""
        sets, unsets = self._delta()  # type: ignore[attr-defined]
        return changes.as_update(sets, unsets)

    def rocketjob_delete_if(self, event: str, expected: dict[str, Any]) -> None:
        """Complete-and-destroy in one write: delete the job if it still matches ``expected``.

        Nobody needs to see a job that is destroyed on completion in state ``completed``, so
        the completion is not written first: one conditional delete replaces two writes.
        """
        collection = self._get_collection()  # type: ignore[attr-defined]
        if collection.delete_one(queries.matching(self.pk, expected)).deleted_count != 1:
            self.rocketjob_raise_conflict(event, expected)
        self.rocketjob_destroyed = True
        self._clear_changed_fields()  # type: ignore[attr-defined]

    def rocketjob_raise_conflict(self, event: str, expected: dict[str, Any]) -> None:
        """Reload the job (if it still exists) and raise StateConflictError."""
        current = self._get_collection().find_one(queries.by_id(self.pk), {"state": 1})  # type: ignore[attr-defined]
        actual = current.get("state") if current else None
        if current:
            self.reload()  # type: ignore[attr-defined]
        raise StateConflictError(self, event, expected.get("state", "?"), actual)

    def set_fields(self, **fields: Any) -> None:
        """Atomically ``$set`` fields on the stored job without touching anything else."""
        for name, value in fields.items():
            setattr(self, name, value)
        self.validate()
        self.rocketjob_check_encodable(fields)
        update = self.rocketjob_changes()
        if update:
            self._get_collection().update_one(queries.by_id(self.pk), update)  # type: ignore[attr-defined]
        self._clear_changed_fields()  # type: ignore[attr-defined]

    # -- scopes ---------------------------------------------------------------------------
    @classmethod
    def queued_now(cls) -> Any:
        """Queued jobs whose run_at has come."""
        return cls.objects(__raw__=queries.queued_now(utc_now()))

    @classmethod
    def scheduled(cls) -> Any:
        """Queued jobs that wait for a future run_at."""
        return cls.objects(state="queued", run_at__gt=utc_now())

    @classmethod
    def expired(cls) -> Any:
        """Jobs whose expires_at has passed."""
        return cls.objects(expires_at__lte=utc_now())

    @classmethod
    def in_state(cls, state: str) -> Any:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; expected one of {STATES}")
        return cls.objects(state=state)

    @classmethod
    def counts_by_state(cls) -> dict[str, int]:
        """Number of jobs of this class (and subclasses) per state; every state is present."""
        counts = dict.fromkeys(STATES, 0)
        pipeline = [
            {"$match": {"_cls": {"$in": list(cls._subclasses)}}},
            {"$group": {"_id": "$state", "count": {"$sum": 1}}},
        ]
        for row in cls._get_collection().aggregate(pipeline):  # type: ignore[attr-defined]
            if row["_id"] in counts:
                counts[row["_id"]] = int(row["count"])
        return counts

    @classmethod
    def unknown_classes(cls) -> list[str]:
        """Stored job class names this process cannot load (e.g. removed or not imported)."""
        stored = cls._get_collection().distinct("_cls")  # type: ignore[attr-defined]
        from rocketjob.document import registered_job_classes

        known = registered_job_classes()
        return sorted(name for name in stored if name not in known)

    @classmethod
    def destroy_if_in_state(cls, job_id: Any, state: Any) -> bool:
        """Delete the stored job only if it is still in ``state`` (one atomic write).

        Works on the raw document, so a job whose class this process cannot load can be
        destroyed too; the class's own clean-up (``job.delete()``) is the caller's to run.
        """
        deleted = cls._get_collection().delete_one(  # type: ignore[attr-defined]
            queries.matching(_object_id(job_id), {"state": state})
        )
        return bool(deleted.deleted_count == 1)

    def run_now(self) -> None:
        """Make a scheduled job run as soon as a worker is free (clears run_at)."""
        self.set_fields(run_at=None)


def _object_id(value: Any) -> Any:
    from bson import ObjectId
    from bson.errors import InvalidId

    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(str(value))
    except InvalidId as exc:
        raise ValueError(f"{value!r} is not a job id") from exc


def _describe(exc: me.ValidationError) -> str:
    """``field: message; ...``; an error from ``clean`` is labelled with its ``field_name``."""
    errors = exc.to_dict() if exc.errors else {}
    if not errors:
        return exc.message
    parts = []
    for name, message in sorted(errors.items()):
        if name == "__all__":
            name = getattr(exc.errors.get("__all__"), "field_name", None) or ""
        parts.append(f"{name}: {message}" if name else str(message))
    return "; ".join(parts)
