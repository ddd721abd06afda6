"""What a transition changed, validated and written without walking the whole document.

mongoengine validates a document by validating every field, and renders an update by
serialising the whole document (``to_mongo``) and diffing it: per job that is more CPU than
the worker's two round trips. A transition usually changes a few scalar fields (``state``,
``completed_at``, ``percent_complete``...), so when every changed field is a scalar at the top
level those fields alone are validated (with the document's ``clean()``) and rendered as
``$set``/``$unset`` exactly as mongoengine would render them. Values that were not changed
were validated when they were written. Anything else (an embedded document, a list, a
nested path) takes mongoengine's full path.
"""

from __future__ import annotations

import numbers
from typing import Any

import mongoengine as me
from mongoengine.base.document import NON_FIELD_ERRORS

#: Field types whose values are stored as they are: a change is one ``$set`` (or ``$unset``).
SCALAR_FIELDS = (
    me.StringField,
    me.IntField,
    me.FloatField,
    me.BooleanField,
    me.DateTimeField,
    me.ObjectIdField,
)


_containers: dict[type, tuple[str, ...]] = {}


def container_fields(klass: type) -> tuple[str, ...]:
    """Names of the fields of ``klass`` whose values can hold changes of their own."""
    names = _containers.get(klass)
    if names is None:
        fields = klass._fields  # type: ignore[attr-defined]
        names = tuple(n for n, f in fields.items() if not isinstance(f, SCALAR_FIELDS))
        _containers[klass] = names
    return names


def changed_fields(document: Any) -> list[str]:
    """``document._get_changed_fields()``, without its walk over every field when no
    container field holds a value (then only top-level assignments can have changed)."""
    data = document._data
    if any(data.get(name) for name in container_fields(type(document))):
        changed: list[str] = document._get_changed_fields()
        return changed
    return list(document._changed_fields)


def scalar_changes(document: Any) -> dict[str, Any] | None:
    """{field name: field} of the document's changes when all are top-level scalars (else
    None: use mongoengine's full validation and delta)."""
    fields: dict[str, Any] = {}
    reverse = document._reverse_db_field_map
    for db_name in changed_fields(document):
        field = document._fields.get(reverse.get(db_name, db_name))
        if field is None or not isinstance(field, SCALAR_FIELDS):
            return None
        fields[field.name] = field
    return fields


def validation_errors(document: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """mongoengine's checks for ``fields`` only (required, the field's own rules) and the
    document's ``clean()``: {field name: ValidationError}."""
    errors: dict[str, Any] = {}
    for name, field in fields.items():
        value = document._data.get(name)
        if value is None:
            if field.required:
                errors[name] = me.ValidationError("Field is required", field_name=name)
            continue
        try:
            field._validate(value)
        except me.ValidationError as exc:
            errors[name] = exc.errors or exc
        except (ValueError, AttributeError, AssertionError) as exc:
            errors[name] = exc
    try:
        document.clean()
    except me.ValidationError as exc:
        errors[NON_FIELD_ERRORS] = exc
    return errors


def scalar_update(document: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """The ``$set``/``$unset`` of ``fields``, as mongoengine's ``_delta`` renders them: a
    falsy value that is not a number and equals the field's default is unset."""
    sets: dict[str, Any] = {}
    unsets: dict[str, Any] = {}
    for name, field in fields.items():
        value = document._data.get(name)
        if value is None or (
            not value and not isinstance(value, numbers.Number | bool) and value == field.default
        ):
            unsets[field.db_field] = 1
        else:
            sets[field.db_field] = field.to_mongo(value)
    return as_update(sets, unsets)


def as_update(sets: dict[str, Any], unsets: dict[str, Any]) -> dict[str, Any]:
    """``{"$set": sets, "$unset": unsets}`` without the empty parts."""
    update: dict[str, Any] = {}
    if sets:
        update["$set"] = sets
    if unsets:
        update["$unset"] = unsets
    return update
