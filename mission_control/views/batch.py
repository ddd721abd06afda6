"""Batch failure pages: exceptions by class, failed slices, a slice's records, record repair."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from mission_control import batch_data
from mission_control.actions import ACTIONS, OWN_JOBS, may_apply, owns
from mission_control.jobs_data import JobRow, load_row
from mission_control.views.common import Page, admin_site, render, require
from rocketjob.fields import unstorable_reason

VIEW = "mission_control.view_job"
EDIT = "mission_control.edit_slice"
SLICES_PER_PAGE = 20


def may_repair(user: Any, row: JobRow) -> bool:
    """Edit and delete records: ``edit_slice``, or the "user" role on a job the user created."""
    return user.has_perm(EDIT) or (user.has_perm(OWN_JOBS) and owns(user, row))


def _batch_row(job_id: str) -> JobRow:
    row = load_row(job_id)
    if row is None or not batch_data.is_batch(row):
        raise Http404(f"no batch job {job_id}")
    return row


def _category(request: HttpRequest, row: JobRow) -> str:
    category = request.GET.get("category") or request.POST.get("category") or "main"
    if category not in row.job.input_category_names():
        raise Http404(f"{row.class_name} has no input category {category!r}")
    return category


def _slice_url(request: HttpRequest, row: JobRow, slice_id: int, category: str) -> str:
    url = reverse(
        "admin:mission_control_job_slice",
        args=[row.id, slice_id],
        current_app=admin_site(request).name,
    )
    return url if category == "main" else f"{url}?category={category}"


@require(VIEW)
def job_exceptions(request: HttpRequest, job_id: str) -> HttpResponse:
    row = _batch_row(job_id)
    category = _category(request, row)
    context = {
        "row": row,
        "category": category,
        "categories": row.job.input_category_names(),
        "groups": batch_data.exception_groups(row.job, category),
        "can_retry": may_apply(request.user, ACTIONS["retry"], row) and row.job.may("retry"),
    }
    title = f"Failed slices of {row.class_name}"
    return render(request, "mission_control/batch_exceptions.html", title, context)


@require(VIEW)
def job_failed_slices(request: HttpRequest, job_id: str) -> HttpResponse:
    row = _batch_row(job_id)
    category = _category(request, row)
    class_name = request.GET.get("class", "")
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    total, _ = batch_data.failed_slices(row.job, category, class_name, 0, 0)
    page = Page(number, SLICES_PER_PAGE, total)
    _, slices = batch_data.failed_slices(row.job, category, class_name, page.skip, SLICES_PER_PAGE)
    context = {
        "row": row,
        "category": category,
        "class_name": class_name,
        "slices": slices,
        "page": page,
    }
    title = f"{class_name or 'All'} failures of {row.class_name}"
    return render(request, "mission_control/batch_slices.html", title, context)


@require(VIEW)
def slice_detail(request: HttpRequest, job_id: str, slice_id: int) -> HttpResponse:
    row = _batch_row(job_id)
    category = _category(request, row)
    view = batch_data.load_slice(row.job, category, slice_id)
    if view is None:
        raise Http404(f"slice {slice_id} not found (completed slices are removed)")
    context = {
        "row": row,
        "category": category,
        "slice": view,
        "can_edit": may_repair(request.user, row) and view.raw.get("state") == "failed",
    }
    return render(request, "mission_control/batch_slice.html", f"Slice {slice_id}", context)


class RecordForm(forms.Form):
    record = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 90, "spellcheck": "false"}),
        help_text="The record as JSON: a string in quotes, a list, or an object.",
    )

    def clean_record(self) -> Any:
        try:
            record = json.loads(self.cleaned_data["record"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from exc
        except RecursionError as exc:
            raise forms.ValidationError("Not valid here: the JSON is nested too deeply") from exc
        unstorable = unstorable_reason(record)
        if unstorable:
            raise forms.ValidationError(unstorable)
        return record


def _record_context(request: HttpRequest, job_id: str, slice_id: int, index: int) -> Any:
    row = _batch_row(job_id)
    if not may_repair(request.user, row):
        raise PermissionDenied(f"requires the {EDIT} permission, or to have created the job")
    category = _category(request, row)
    view = batch_data.load_slice(row.job, category, slice_id)
    if view is None or not 0 <= index < len(view.records):
        raise Http404(f"slice {slice_id} has no record {index}")
    return row, category, view


@require(VIEW)
def record_edit(request: HttpRequest, job_id: str, slice_id: int, index: int) -> HttpResponse:
    row, category, view = _record_context(request, job_id, slice_id, index)
    initial = {"record": batch_data.to_json(view.records[index])}
    form = RecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            batch_data.update_record(
                row.job, category, slice_id, index, form.cleaned_data["record"]
            )
        except (batch_data.SliceChangedError, IndexError) as exc:
            messages.error(request, f"Record not saved: {exc}. Nothing was changed.")
        else:
            messages.success(request, f"Record {slice_id + index} saved.")
        return HttpResponseRedirect(_slice_url(request, row, slice_id, category))
    context = {
        "row": row,
        "category": category,
        "slice": view,
        "index": index,
        "form": form,
        "record_number": slice_id + index,
    }
    status = 400 if form.errors else 200
    return render(
        request,
        "mission_control/batch_record_edit.html",
        f"Edit record {slice_id + index}",
        context,
        status=status,
    )


@require(VIEW)
def record_delete(request: HttpRequest, job_id: str, slice_id: int, index: int) -> HttpResponse:
    row, category, view = _record_context(request, job_id, slice_id, index)
    if request.method != "POST":
        context = {
            "row": row,
            "category": category,
            "slice": view,
            "index": index,
            "record": batch_data.to_json(view.records[index]),
            "record_number": slice_id + index,
        }
        return render(
            request,
            "mission_control/batch_record_delete.html",
            f"Delete record {slice_id + index}?",
            context,
        )
    try:
        batch_data.delete_record(row.job, category, slice_id, index)
    except (batch_data.SliceChangedError, IndexError) as exc:
        messages.error(request, f"Record not deleted: {exc}. Nothing was changed.")
    else:
        messages.success(request, f"Record {slice_id + index} deleted from slice {slice_id}.")
    return HttpResponseRedirect(_slice_url(request, row, slice_id, category))
