"""The Dirmon entry form: name, pattern, archive directory, and the job's properties.

Properties are the chosen job class's user-editable fields, each with a typed input (the same
mapping as the job edit form). Only values that differ from the class's defaults are stored,
so a later change of a default still reaches entries that never overrode it.
"""

from __future__ import annotations

from typing import Any

from django import forms

from mission_control.forms import form_field_for
from rocketjob.document import registered_job_classes
from rocketjob.jobs.upload_file import UploadFileJob, is_batch_class

PREFIX = "property_"


def eligible_classes() -> dict[str, Any]:
    """Job classes a file can start: batch jobs and jobs with an ``upload_file_name`` field."""
    found: dict[str, Any] = {}
    klass: Any
    for klass in registered_job_classes().values():
        if klass is UploadFileJob or klass._meta.get("abstract"):
            continue
        if is_batch_class(klass) or "upload_file_name" in klass._fields:
            found[klass.__name__] = klass
    return dict(sorted(found.items()))


class JobClassForm(forms.Form):
    job_class_name = forms.ChoiceField(label="Job class")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["job_class_name"].choices = [(n, n) for n in eligible_classes()]


class DirmonEntryForm(forms.Form):
    name = forms.CharField(max_length=200)
    pattern = forms.CharField(
        max_length=1000, help_text="A glob inside the allowed paths, e.g. /data/in/*.csv"
    )
    archive_directory = forms.CharField(
        max_length=1000,
        initial="archive",
        help_text="Where processed files are moved; relative to each file's directory.",
    )

    def __init__(
        self, klass: Any, *args: Any, properties: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.klass = klass
        properties = properties or {}
        for name in self.property_names():
            field = form_field_for(name, klass._fields[name])
            field.required = False  # unset means: the class's default
            default = klass._fields[name].default
            field.initial = properties.get(name, default() if callable(default) else default)
            self.fields[PREFIX + name] = field

    def property_names(self) -> list[str]:
        """User-editable fields, except the file's own and those needing another permission.

        A ``requires_permission`` field (e.g. one whose change deletes data) is not offered:
        the dirmon role must not be a way around that permission.
        """
        names = self.klass.user_editable_fields()
        return [
            n
            for n in names
            if n not in ("upload_file_name", "original_file_name")
            and not getattr(self.klass._fields[n], "requires_permission", None)
        ]

    def property_fields(self) -> list[Any]:
        return [self[PREFIX + name] for name in self.property_names()]

    def main_fields(self) -> list[Any]:
        return [self["name"], self["pattern"], self["archive_directory"]]

    def properties(self) -> dict[str, Any]:
        """Cleaned properties that differ from the class's defaults."""
        result = {}
        for name in self.property_names():
            value = self.cleaned_data.get(PREFIX + name)
            default = self.klass._fields[name].default
            default = default() if callable(default) else default
            if value in ("", None):
                continue  # left empty: the class's default applies
            if value != default:
                result[name] = value
        return result
