"""Dirmon entries: lists by state, detail, create (class first), edit, copy, enable/disable,
destroy. Every write is a POST; state changes use the entry's atomic ``fire``."""

from __future__ import annotations

import json
from typing import Any

import mongoengine as me
from bson import ObjectId
from bson.errors import InvalidId
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from mission_control.dirmon_forms import DirmonEntryForm, JobClassForm, eligible_classes
from mission_control.views.common import admin_site, render, require
from rocketjob.exceptions import RocketJobError
from rocketjob.jobs.dirmon_entry import STATES, TRANSITIONS, DirmonEntry

VIEW = "mission_control.view_dirmonentry"
MANAGE = "mission_control.manage_dirmonentry"
DESTROY = "mission_control.destroy_dirmonentry"
DIRMON_LISTS = ("all", *STATES)


def _url(request: HttpRequest, name: str, *args: Any) -> str:
    return reverse(f"admin:{name}", args=args, current_app=admin_site(request).name)


def _stored_entry(entry_id: str) -> tuple[DirmonEntry, bool]:
    """The entry and whether it could be read (see ``DirmonEntry.stored``); 404 if none."""
    try:
        found = DirmonEntry.stored({"_id": ObjectId(entry_id)})
    except InvalidId:
        found = []
    if not found:
        raise Http404(f"no dirmon entry {entry_id}")
    return found[0]


def _entry(entry_id: str) -> DirmonEntry:
    """A readable entry to change; an unreadable one can only be shown or destroyed."""
    entry, readable = _stored_entry(entry_id)
    if not readable:
        raise Http404(f"dirmon entry {entry_id} cannot be read; it can only be destroyed")
    return entry


@require(VIEW)
def dirmon_list(request: HttpRequest, state: str = "all") -> HttpResponse:
    if state not in DIRMON_LISTS:
        raise Http404(f"no dirmon list {state!r}")
    counts = dict.fromkeys(DIRMON_LISTS, 0)
    entries = []
    for entry, _readable in DirmonEntry.stored():
        counts["all"] += 1
        counts[entry.state] = counts.get(entry.state, 0) + 1
        if state in ("all", entry.state):
            entries.append(entry)
    context = {
        "dirmon_state": state,
        "entries": entries,
        "dirmon_counts": counts,
        "can_manage": request.user.has_perm(MANAGE),
    }
    title = "Dirmon entries" if state == "all" else f"{state.capitalize()} dirmon entries"
    return render(request, "mission_control/dirmon_list.html", title, context)


@require(VIEW)
def dirmon_detail(request: HttpRequest, entry_id: str) -> HttpResponse:
    entry, readable = _stored_entry(entry_id)
    context = {
        "entry": entry,
        "properties_json": json.dumps(
            entry.properties or {}, indent=2, sort_keys=True, default=str
        ),
        "events": [
            e for e, sources in TRANSITIONS.items() if e != "fail" and entry.state in sources
        ]
        if request.user.has_perm(MANAGE)
        else [],
        "can_manage": readable and request.user.has_perm(MANAGE),
        "can_destroy": request.user.has_perm(DESTROY),
    }
    return render(request, "mission_control/dirmon_detail.html", entry.name, context)


@require(VIEW)
@require(MANAGE)
def dirmon_new(request: HttpRequest) -> HttpResponse:
    """Step 1: choose the job class. Step 2 (``?job_class_name=``): the entry form."""
    chooser = JobClassForm(request.GET or None)
    if not chooser.is_valid():
        context = {"chooser": chooser}
        return render(request, "mission_control/dirmon_choose.html", "New dirmon entry", context)
    klass = eligible_classes()[chooser.cleaned_data["job_class_name"]]
    copy_of = request.GET.get("copy")
    initial: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    if copy_of:
        source = _entry(copy_of)
        initial = {
            "name": f"Copy of {source.name}",
            "pattern": source.pattern,
            "archive_directory": source.archive_directory,
        }
        properties = dict(source.properties or {})
    return _entry_form(
        request,
        DirmonEntry(job_class_name=klass.__name__, created_by=request.user.get_username()),
        klass,
        initial,
        properties,
    )


@require(VIEW)
@require(MANAGE)
def dirmon_edit(request: HttpRequest, entry_id: str) -> HttpResponse:
    entry = _entry(entry_id)
    klass = eligible_classes().get(entry.job_class_name.rsplit(".", 1)[-1])
    if klass is None:
        messages.error(request, f"Job class {entry.job_class_name} is not loadable here.")
        return HttpResponseRedirect(_url(request, "mission_control_dirmon_detail", entry_id))
    initial = {
        "name": entry.name,
        "pattern": entry.pattern,
        "archive_directory": entry.archive_directory,
    }
    return _entry_form(request, entry, klass, initial, dict(entry.properties or {}))


def _entry_form(
    request: HttpRequest,
    entry: DirmonEntry,
    klass: type,
    initial: dict[str, Any],
    properties: dict[str, Any],
) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = DirmonEntryForm(klass, data, initial=initial, properties=properties)
    if data is not None and form.is_valid():
        entry.name = form.cleaned_data["name"]
        entry.pattern = form.cleaned_data["pattern"]
        entry.archive_directory = form.cleaned_data["archive_directory"]
        entry.properties = form.properties()
        try:
            entry.save()
        except me.NotUniqueError:
            form.add_error(None, "Another dirmon entry already has this name or pattern.")
        except (me.ValidationError, RocketJobError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Dirmon entry {entry.name} saved.")
            return HttpResponseRedirect(_url(request, "mission_control_dirmon_detail", entry.pk))
    context = {"form": form, "entry": entry, "klass_name": klass.__name__}
    title = f"Edit {entry.name}" if entry.pk else "New dirmon entry"
    return render(
        request,
        "mission_control/dirmon_form.html",
        title,
        context,
        status=400 if form.errors else 200,
    )


@require_POST
@require(VIEW)
@require(MANAGE)
def dirmon_event(request: HttpRequest, entry_id: str, event: str) -> HttpResponse:
    if event not in ("enable", "disable"):
        raise Http404(f"no dirmon action {event!r}")
    entry = _entry(entry_id)
    expected = request.POST.get("expected_state")
    if expected and entry.state != expected:
        messages.error(
            request,
            f"{entry.name} changed from {expected} to {entry.state} "
            "meanwhile; nothing was changed.",
        )
    else:
        try:
            getattr(entry, event)()
        except (RocketJobError, me.ValidationError) as exc:
            messages.error(request, f"{entry.name} was not {event}d: {exc}")
        else:
            messages.success(request, f"{entry.name} {event}d.")
    return HttpResponseRedirect(_url(request, "mission_control_dirmon_detail", entry_id))


@require(VIEW)
@require(DESTROY)
def dirmon_destroy(request: HttpRequest, entry_id: str) -> HttpResponse:
    entry, _readable = _stored_entry(entry_id)  # an unreadable entry can be destroyed
    if request.method != "POST":
        return render(
            request,
            "mission_control/dirmon_destroy.html",
            f"Destroy {entry.name}?",
            {"entry": entry},
        )
    entry.delete()
    messages.success(request, f"Dirmon entry {entry.name} destroyed.")
    return HttpResponseRedirect(_url(request, "mission_control_dirmonentry_changelist"))
