"""The metaclass behind every job class.

Two things mongoengine does not do on its own:

* **Class-level defaults.** ``class ReportJob(Job): priority = 30`` must change the default of
  the inherited ``priority`` field, not shadow the field with a plain int (which would silently
  bypass mongoengine's data handling). The metaclass replaces such values with a copy of the
  inherited field whose default is the value.
* **Unique class names.** mongoengine stores ``_cls`` as ``"Job.ReportJob"`` without the module,
  so two ``ReportJob`` classes in different apps would overwrite each other in its registry and
  load each other's jobs. We refuse that at class creation with a clear error.
"""

from __future__ import annotations

import copy
from typing import Any

from mongoengine.base import BaseField
from mongoengine.base.metaclasses import TopLevelDocumentMetaclass

from rocketjob.exceptions import JobClassNameConflictError

_job_classes: dict[str, type] = {}


def _inherited_fields(bases: tuple[type, ...]) -> dict[str, BaseField]:
    found: dict[str, BaseField] = {}
    for base in reversed(bases):
        for klass in reversed(base.__mro__):
            declared = klass.__dict__.get("_fields")
            if isinstance(declared, dict):
                found.update(declared)
            else:
                found.update({k: v for k, v in klass.__dict__.items() if isinstance(v, BaseField)})
    return found


class JobMetaclass(TopLevelDocumentMetaclass):
    """mongoengine's top-level metaclass plus class defaults and name-conflict detection."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:
        inherited = _inherited_fields(bases)
        for key, value in list(attrs.items()):
            field = inherited.get(key)
            if field is None or isinstance(value, BaseField) or callable(value):
                continue
            override = copy.copy(field)
            override.default = value
            attrs[key] = override
        cls = super().__new__(mcs, name, bases, attrs)
        class_name = getattr(cls, "_class_name", None)
        if class_name and not cls._meta.get("abstract"):
            origin = f"{cls.__module__}.{cls.__qualname__}"
            previous = _job_classes.get(class_name)
            if (
                previous is not None
                and previous.__module__ != cls.__module__
                and ("<locals>" not in origin)
            ):
                raise JobClassNameConflictError(
                    f"job class {origin} has the same name as "
                    f"{previous.__module__}.{previous.__qualname__}; job classes are stored by "
                    "name, so each must have a unique name"
                )
            _job_classes[class_name] = cls
        return cls


def registered_job_classes() -> dict[str, type]:
    """Stored class name (``_cls``) to class, for every job class defined in this process."""
    return dict(_job_classes)
