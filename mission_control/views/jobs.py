"""Job pages: lists by state, detail, edit, and single or bulk actions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mission_control import batch_data
from mission_control.actions import (
    ACTIONS,
    MANAGE,
    OWN_JOBS,
    apply_action,
    available_actions,
    may_apply,
    may_edit,
    permitted_actions,
)
from mission_control.filters import PER_PAGE_CHOICES, JobListParams
from mission_control.forms import JobEditForm
from mission_control.jobs_data import (
    DATE_FIELDS,
    LIST_STATES,
    JobRow,
    collection,
    find_rows,
    load_row,
    stored_class_names,
)
from mission_control.servers_data import busy_workers_by_job
from mission_control.templatetags.mission_control import isoformat
from mission_control.views.common import Page, admin_site, render, require
from rocketjob.job import Job
from rocketjob.queries import count

VIEW = "mission_control.view_job"
#: Buttons on list rows (as in Ruby); fail and abort are on the job page and in bulk actions.
ROW_ACTIONS = ("run_now", "pause", "resume", "retry", "destroy")
BASE_FIELDS = frozenset(Job._fields) | {"_id", "_cls", "id"}
SHOWN_ELSEWHERE = {"exception", "description", "_cls", "_id", "id", *DATE_FIELDS}


def _url(request: HttpRequest, name: str, *args: Any) -> str:
    return reverse(f"admin:{name}", args=args, current_app=admin_site(request).name)


@require(VIEW)
def job_list(request: HttpRequest, state: str = "running") -> HttpResponse:
    if state not in LIST_STATES:
        raise Http404(f"no job list {state!r}")
    params = JobListParams.from_query(state, request.GET)
    for error in params.errors:
        messages.warning(request, error)
    query = params.mongo_filter()
    page = Page(params.page, params.per_page, count(collection(), query))
    rows = find_rows(query, params.mongo_sort(), page.skip, page.per_page)
    bulk_actions = permitted_actions(request.user)
    context = {
        "state": state,
        "rows": rows,
        "page": page,
        "params": params,
        "class_names": stored_class_names(),
        "per_page_choices": PER_PAGE_CHOICES,
        "bulk_actions": bulk_actions,
        "row_actions": {
            row.id: [a for a in available_actions(request.user, row) if a.name in ROW_ACTIONS]
            for row in rows
        },
        "busy_workers": busy_workers_by_job() if state == "running" else {},
        "columns": _sort_columns(state, params),
        "page_links": {
            "previous": params.query_string(page=page.number - 1 if page.number > 2 else ""),
            "next": params.query_string(page=page.number + 1),
        },
    }
    title = "All jobs" if state == "all" else f"{state.capitalize()} jobs"
    return render(request, "mission_control/job_list.html", title, context)


def _sort_columns(state: str, params: JobListParams) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it and its current direction."""
    columns = {}
    for key in (
        "class",
        "description",
        "state",
        "priority",
        "created",
        "started",
        "completed",
        "run_at",
    ):
        current = params.order.lstrip("-") == key
        descending = params.order.startswith("-")
        next_order = f"-{key}" if current and not descending else key
        columns[key] = {
            "url": params.query_string(o=next_order, page=""),
            "direction": ("desc" if descending else "asc") if current else "",
        }
    return columns


def _get_row(job_id: str) -> JobRow:
    row = load_row(job_id)
    if row is None:
        raise Http404(f"no job {job_id}")
    return row


@require(VIEW)
def job_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    row = _get_row(job_id)
    context = {
        "row": row,
        "actions": available_actions(request.user, row),
        "can_edit": may_edit(request.user, row) and row.loadable,
        "details": _details(row),
        "dates": [(name, row.get(name)) for name in DATE_FIELDS if row.get(name)],
        "custom_json": _custom_fields_json(row),
        "retry_history": _retry_history(row),
        "batch": batch_data.job_panel(row),
    }
    return render(request, "mission_control/job_detail.html", f"{row.class_name} {row.id}", context)


def _details(row: JobRow) -> list[tuple[str, Any]]:
    names = (
        "state",
        "priority",
        "percent_complete",
        "failure_count",
        "worker_name",
        "created_by",
        "throttle_group",
        "throttled_by",
        "time_limit",
        "log_level",
        "destroy_on_complete",
    )
    return [(name, row.get(name)) for name in names if row.get(name) not in (None, "")]


def _custom_fields_json(row: JobRow) -> str:
    """Fields the job class adds to the base Job, as indented JSON (rendered escaped)."""
    hidden = BASE_FIELDS | SHOWN_ELSEWHERE
    if batch_data.is_batch(row):
        hidden = hidden | batch_data.PANEL_FIELDS
    custom = {k: v for k, v in row.raw.items() if k not in hidden}
    if not custom:
        return ""
    return json.dumps(custom, indent=2, sort_keys=True, default=_json_value)


def _json_value(value: Any) -> str:
    """Dates in the viewer's zone, like every other date on the page; the rest as text."""
    return isoformat(value) if isinstance(value, datetime) else str(value)


def _retry_history(row: JobRow) -> list[Any]:
    for name in ("failed_at_list", "retry_history"):
        value = row.get(name)
        if isinstance(value, list) and value:
            return value
    return []


def _deny_unless_permitted(user: Any, permission: str) -> None:
    """403 before loading anything when neither ``permission`` nor the user role is held."""
    if not (user.has_perm(permission) or user.has_perm(OWN_JOBS)):
        raise PermissionDenied(f"requires the {permission} permission")


def _not_yours(row: JobRow) -> PermissionDenied:
    return PermissionDenied(f"{row.class_name} {row.id} was not created by you; nothing changed")


@require(VIEW)
def job_edit(request: HttpRequest, job_id: str) -> HttpResponse:
    _deny_unless_permitted(request.user, MANAGE)
    row = _get_row(job_id)
    if not may_edit(request.user, row):
        raise _not_yours(row)
    if not row.loadable:
        messages.error(request, f"{row.class_name} {row.id} cannot be edited: {row.load_error}")
        return HttpResponseRedirect(_url(request, "mission_control_job_detail", row.id))
    form = JobEditForm(row.job, request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        changed = form.save()
        if not form.errors:
            if changed:
                messages.success(request, f"Saved {', '.join(changed)}.")
            else:
                messages.info(request, "Nothing changed.")
            return HttpResponseRedirect(_url(request, "mission_control_job_detail", row.id))
    status = 400 if form.errors else 200
    context = {"row": row, "form": form}
    return render(
        request, "mission_control/job_edit.html", f"Edit {row.class_name}", context, status=status
    )


def job_action(request: HttpRequest, job_id: str, action_name: str) -> HttpResponse:
    """GET: a confirmation page. POST: apply the action, then back to the job."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise Http404(f"no action {action_name!r}")
    return require(VIEW)(_job_action)(request, job_id, action)


def _job_action(request: HttpRequest, job_id: str, action: Any) -> HttpResponse:
    _deny_unless_permitted(request.user, action.permission)
    row = _get_row(job_id)
    if not may_apply(request.user, action, row):
        raise _not_yours(row)
    if request.method != "POST":
        context = {
            "action": action,
            "rows": [row],
            "eligible": [row] if action.allowed(row) else [],
            "single": True,
        }
        return render(request, "mission_control/confirm.html", f"{action.label}?", context)
    outcome = apply_action(action, job_id, request.POST.get("expected_state"))
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    if action.name == "destroy" and outcome.ok:
        return HttpResponseRedirect(_url(request, "mission_control_job_changelist"))
    return HttpResponseRedirect(_url(request, "mission_control_job_detail", job_id))


@require_POST
@require(VIEW)
def job_bulk(request: HttpRequest) -> HttpResponse:
    """Admin-style bulk action: the first POST confirms, the second (``post=yes``) applies."""
    action = ACTIONS.get(request.POST.get("action", ""))
    back = request.POST.get("next") or _url(request, "mission_control_job_changelist")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = _url(request, "mission_control_job_changelist")
    if action is None:
        messages.warning(request, "Choose an action first.")
        return HttpResponseRedirect(back)
    _deny_unless_permitted(request.user, action.permission)
    selected = [value.partition(":") for value in request.POST.getlist("_selected_action")]
    expected = {job_id: state for job_id, _, state in selected}
    ids = list(expected)
    if not ids:
        messages.warning(request, "Select one or more jobs first.")
        return HttpResponseRedirect(back)
    rows = [row for row in (load_row(i) for i in ids[:500]) if row is not None]
    refused = [row for row in rows if not may_apply(request.user, action, row)]
    if refused:  # the user role selected others' jobs: refuse the whole request
        names = ", ".join(f"{row.class_name} {row.id}" for row in refused[:10])
        raise PermissionDenied(f"requires {action.permission} for jobs you did not create: {names}")
    if request.POST.get("post") != "yes":
        eligible = [row for row in rows if action.allowed(row)]
        context = {"action": action, "rows": rows, "eligible": eligible, "next": back}
        return render(request, "mission_control/confirm.html", f"{action.label} jobs?", context)
    done, failed = 0, []
    for row in rows:
        outcome = apply_action(action, row.id, expected.get(row.id))
        if outcome.ok:
            done += 1
        else:
            failed.append(outcome.message)
    if done:
        messages.success(request, f"{done} job{'s' if done != 1 else ''} {action.done}.")
    for message in failed:
        messages.error(request, message)
    return HttpResponseRedirect(back)
