"""Building a claimed job from its stored document without mongoengine's generic constructor.

``Document._from_son`` converts the document, then runs ``__init__``, which assigns every
field through its descriptor (twice for missing ones) and checks for undefined keys: about
160 us for a plain job, more than the worker's own round trips cost the client. The claim
builds the same object directly when the document allows it: the class is neither dynamic
nor strict, no ``pre_init``/``post_init`` receivers are connected, every stored key is a
declared field and every stored value is a scalar (or None). Anything else, e.g. a job
holding an embedded document or a list, goes through ``_from_son`` unchanged.
``tests/unit/test_fast_load.py`` checks both paths give equal documents.
"""

from __future__ import annotations

from typing import Any

from bson.son import SON
from mongoengine import signals

from rocketjob.plugins.job.changes import SCALAR_FIELDS

#: Stored keys that are not fields of the class.
_SPECIAL = ("_cls",)


def _has_init_receivers(klass: Any) -> bool:
    if not signals.signals_available:  # without blinker nobody can connect one
        return False
    return bool(
        signals.pre_init.has_receivers_for(klass) or signals.post_init.has_receivers_for(klass)
    )


def _plain(klass: Any) -> bool:
    return not (klass._dynamic or klass.STRICT or _has_init_receivers(klass))


#: How each field is read: (name, db name, to_python for a scalar field or None, value when
#: missing: a constant, a callable default, or _UNLOADABLE).
_FieldPlan = tuple[str, str, Any, Any]
_UNLOADABLE = object()


_plans: dict[type, tuple[_FieldPlan, ...]] = {}


def _field_plan(klass: Any) -> tuple[_FieldPlan, ...]:
    """What ``load_scalar_document`` does per field, worked out once per class instead of at
    every claim."""
    plan = _plans.get(klass)
    if plan is None:
        plan = _plans[klass] = _plan_fields(klass)
    return plan


def _plan_fields(klass: Any) -> tuple[_FieldPlan, ...]:
    steps = []
    for name, field in klass._fields.items():
        scalar = isinstance(field, SCALAR_FIELDS)
        # As the field's descriptor does when given None: the default, unless null.
        missing = None if field.null else field.default
        if missing is not None and not scalar and not callable(missing):
            empty_container = isinstance(missing, (dict, list)) and not missing
            # A non-empty container default: leave it to mongoengine.
            missing = missing if empty_container else _UNLOADABLE
        steps.append((name, field.db_field, field.to_python if scalar else None, missing))
    return tuple(steps)


def load_scalar_document(klass: Any, son: dict[str, Any]) -> Any | None:
    """``klass``'s document for ``son``, as ``klass._from_son(son)`` builds it, or None when
    ``son`` needs the generic path. ``klass`` must be the class named by ``son["_cls"]``."""
    if not _plain(klass):
        return None
    by_db_name = klass._reverse_db_field_map
    for key in son:
        if key not in by_db_name and key not in _SPECIAL:
            return None  # mongoengine raises FieldDoesNotExist for it: let it
    data: dict[str, Any] = {}
    for name, db_name, to_python, missing in _field_plan(klass):
        value = son.get(db_name)
        if value is None:
            if missing is _UNLOADABLE:
                return None
            value = missing() if callable(missing) else missing
            if value is not None and to_python is None:
                if not isinstance(value, (dict, list)) or value:
                    return None  # a callable default that gave a non-empty container
                # An empty one (e.g. ``trace_context`` of a job enqueued without a trace)
                # is stored as __init__ stores it; the descriptor wraps it when read.
                value = type(value)()
        elif to_python is not None:
            value = to_python(value)
        elif isinstance(value, (dict, list)) and not value:
            value = type(value)()  # an empty container, as to_python gives it
        else:
            return None
        data[name] = value
    document = klass.__new__(klass)
    for slot, initial in (
        ("_initialised", False),
        ("_created", False),
        ("_data", data),
        ("_dynamic_fields", SON()),
    ):
        object.__setattr__(document, slot, initial)
    document._cls = son.get("_cls", klass._class_name)
    document._BaseDocument__set_field_display()
    object.__setattr__(document, "_changed_fields", [])
    object.__setattr__(document, "_initialised", True)
    return document
