"""Server pages (by state, with actions sent as events) and the active workers page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from mission_control.servers_data import (
    SERVER_ACTIONS,
    SERVER_LISTS,
    active_workers,
    apply_server_action,
    destroy_zombies,
    server_counts,
    server_rows,
)
from mission_control.views.common import admin_site, render, require

VIEW = "mission_control.view_server"
OPERATE = "mission_control.operate_server"


def _list_url(request: HttpRequest, state: str = "all") -> str:
    site = admin_site(request).name
    if state == "all":
        return reverse("admin:mission_control_server_changelist", current_app=site)
    return reverse("admin:mission_control_server_list", args=[state], current_app=site)


@require(VIEW)
def server_list(request: HttpRequest, state: str = "all") -> HttpResponse:
    if state not in SERVER_LISTS:
        raise Http404(f"no server list {state!r}")
    can_operate = request.user.has_perm(OPERATE)
    rows = server_rows(state)
    context = {
        "server_state": state,
        "rows": rows,
        "server_counts": server_counts(),
        "can_operate": can_operate,
        "row_actions": {
            row.server.name: [
                a for a in SERVER_ACTIONS.values() if a.allowed(row.server, row.zombie)
            ]
            if can_operate and not row.unreadable
            else []
            for row in rows
        },
        "bulk_actions": [a for a in SERVER_ACTIONS.values() if a.name != "destroy"]
        if can_operate
        else [],
    }
    title = "Servers" if state == "all" else f"{state.capitalize()} servers"
    return render(request, "mission_control/server_list.html", title, context)


@require(VIEW)
@require(OPERATE)
def server_action(request: HttpRequest, action_name: str) -> HttpResponse:
    """GET: confirm. POST: publish the event to each selected server (``name``)."""
    action = SERVER_ACTIONS.get(action_name)
    if action is None:
        raise Http404(f"no server action {action_name!r}")
    names = request.POST.getlist("name") or request.GET.getlist("name")
    if not names:
        messages.warning(request, "Select one or more servers first.")
        return HttpResponseRedirect(_list_url(request))
    if request.method != "POST" or (action.confirm and request.POST.get("post") != "yes"):
        context = {"action": action, "names": names}
        return render(
            request, "mission_control/server_confirm.html", f"{action.label} servers?", context
        )
    for name in names:
        ok, message = apply_server_action(action, name)
        (messages.success if ok else messages.error)(request, message)
    return HttpResponseRedirect(_list_url(request))


@require_POST
@require(VIEW)
def server_destroy_zombies(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(OPERATE):
        raise PermissionDenied(f"requires the {OPERATE} permission")
    count = destroy_zombies()
    messages.success(request, f"{count} zombie server{'s' if count != 1 else ''} destroyed.")
    return HttpResponseRedirect(_list_url(request, "zombie"))


@require(VIEW)
def worker_list(request: HttpRequest) -> HttpResponse:
    server = request.GET.get("server", "").strip()
    job_id = request.GET.get("job", "").strip()
    context = {
        "rows": active_workers(server=server, job_id=job_id),
        "server_filter": server,
        "job_filter": job_id,
        "server_counts": server_counts(),
    }
    return render(request, "mission_control/worker_list.html", "Active workers", context)


@require_POST
@require(VIEW)
@require(OPERATE)
def server_bulk(request: HttpRequest) -> HttpResponse:
    """Admin-style bulk form: always confirms, then posts to :func:`server_action`."""
    action = SERVER_ACTIONS.get(request.POST.get("bulk_action", ""))
    names = request.POST.getlist("name")
    if action is None or not names:
        messages.warning(request, "Choose an action and select one or more servers first.")
        return HttpResponseRedirect(_list_url(request))
    context = {"action": action, "names": names}
    return render(
        request, "mission_control/server_confirm.html", f"{action.label} servers?", context
    )
