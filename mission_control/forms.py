"""The job edit form: one typed input per ``user_editable`` field of the job's class.

mongoengine field types map to Django form fields (choices become a select, lists of choices
a multi-select, dicts and other lists JSON). Django validates the input's type; the job's own
mongoengine validation then runs, and its errors are shown against the fields they concern.

A field declared with ``requires_permission="destroy_job"`` (e.g. HousekeepingJob's retention
periods: lowering one deletes jobs) is shown disabled to users without that permission, and a
posted change to it is refused with an error: editing it would have that field's effect.
"""

from __future__ import annotations

from typing import Any

import mongoengine as me
from django import forms
from django.forms.fields import InvalidJSONInput

from rocketjob.exceptions import JobValidationError

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


class JSONInput(forms.JSONField):
    """Django's JSONField, but JSON nested too deeply to parse is a form error, not a 500."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except RecursionError as exc:
            raise forms.ValidationError("The JSON is nested too deeply.", code="invalid") from exc

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)  # shown back to the user as typed


def form_field_for(name: str, field: Any) -> forms.Field:
    """A Django form field for one mongoengine field."""
    required = bool(field.required) or field.default is not None
    common: dict[str, Any] = {"required": required, "label": name.replace("_", " ").capitalize()}
    choices = getattr(field, "choices", None)
    if isinstance(field, me.BooleanField):
        return forms.BooleanField(required=False, label=common["label"])
    if choices:
        values = [c[0] if isinstance(c, list | tuple) else c for c in choices]
        options = [(str(v), str(v)) for v in values]
        if not required:
            options.insert(0, ("", "---------"))
        coerce = type(values[0]) if values else str
        return forms.TypedChoiceField(choices=options, coerce=coerce, empty_value=None, **common)
    if isinstance(field, me.IntField):
        return forms.IntegerField(min_value=field.min_value, max_value=field.max_value, **common)
    if isinstance(field, me.FloatField):
        return forms.FloatField(min_value=field.min_value, max_value=field.max_value, **common)
    if isinstance(field, me.DecimalField):
        return forms.DecimalField(min_value=field.min_value, max_value=field.max_value, **common)
    if isinstance(field, me.DateTimeField):
        widget = forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": "1"}, format=DATETIME_FORMAT
        )
        return forms.DateTimeField(widget=widget, **common)
    if isinstance(field, me.ListField) and getattr(field.field, "choices", None):
        inner = [c[0] if isinstance(c, list | tuple) else c for c in field.field.choices]
        return forms.MultipleChoiceField(
            choices=[(str(v), str(v)) for v in inner], required=False, label=common["label"]
        )
    if isinstance(field, me.ListField | me.DictField):
        return JSONInput(required=False, label=common["label"])
    if isinstance(field, me.StringField):
        max_length = field.max_length
        widget = forms.Textarea(attrs={"rows": 3}) if max_length and max_length > 255 else None
        return forms.CharField(max_length=max_length, widget=widget, **common)
    return JSONInput(**common)


class JobEditForm(forms.Form):
    """Built per job class; ``changes()`` returns only the fields the user changed."""

    def __init__(self, job: Any, *args: Any, user: Any = None, **kwargs: Any) -> None:
        self.job = job
        initial = {name: getattr(job, name) for name in job.user_editable_fields()}
        super().__init__(*args, initial=initial, **kwargs)
        #: Field name -> the permission the user lacks to change it.
        self.locked: dict[str, str] = {}
        for name in job.user_editable_fields():
            self.fields[name] = form_field_for(name, job._fields[name])
            needed = getattr(job._fields[name], "requires_permission", None)
            if needed and not (user is not None and user.has_perm(f"mission_control.{needed}")):
                self.locked[name] = needed
                self.fields[name].disabled = True
                self.fields[name].help_text = f"Changing it requires the {needed} permission."

    def clean(self) -> dict[str, Any]:
        """Refuse (rather than silently ignore) a posted change to a locked field."""
        cleaned = super().clean() or {}
        for name, needed in self.locked.items():
            if name not in self.data:
                continue
            field = self.fields[name]
            try:
                posted = field.clean(field.widget.value_from_datadict(self.data, {}, name))
            except forms.ValidationError:
                posted = self.data.get(name)
            if posted != field.clean(self.get_initial_for_field(field, name)):
                self.add_error(name, f"Changing {name} requires the {needed} permission.")
        return cleaned

    def changes(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if value == "" and not self.fields[name].required:
                value = None
            if value != getattr(self.job, name):
                result[name] = value
        return result

    def save(self) -> list[str]:
        """Validate with the job's own rules and ``$set`` the changes; returns changed names.

        Errors from the job's validation are added to the form (nothing is saved).
        """
        changes = self.changes()
        if not changes:
            return []
        before = {name: getattr(self.job, name) for name in changes}
        try:
            self.job.set_fields(**changes)
        except JobValidationError as exc:
            for name, value in before.items():
                setattr(self.job, name, value)
            self.add_job_errors(exc, changes)
            return []
        return sorted(changes)

    def add_job_errors(self, exc: JobValidationError, changes: dict[str, Any]) -> None:
        """Show each error against the changed field it concerns, else above the form.

        Errors raised by a job's ``clean`` (cron schedule, path allow-list) arrive under
        ``__all__`` and name their field in ``field_name``.
        """
        errors = dict(exc.errors or {})
        general = errors.pop("__all__", None)
        general_field = getattr(general, "field_name", None)
        if general is not None and general_field in changes:
            errors[general_field] = general
            general = None
        shown = False
        for name in changes:
            if name in errors:
                self.add_error(name, str(getattr(errors[name], "message", errors[name])))
                shown = True
        if general is not None or not shown:
            self.add_error(None, str(exc))
