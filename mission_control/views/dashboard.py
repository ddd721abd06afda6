"""The dashboard: throughput, failures, queue depth and latency charts, and their JSON.

The page draws its charts with mission_control/charts.js from the JSON views below, polled
every few seconds; class names come from the database and are untrusted, so they only ever
reach the page through Django's autoescaping or ``JsonResponse`` (read by the script as text).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from mission_control import batch_data, dashboard_data
from mission_control.jobs_data import load_row
from mission_control.views.common import admin_site, render, require
from rocketjob.plugins.job.model import as_utc

VIEW = "mission_control.view_job"
#: Longest class name accepted from the query string (longer ones select nothing).
MAX_CLASS = 300


def _params(request: HttpRequest) -> tuple[dashboard_data.Window, str]:
    window = dashboard_data.window_named(request.GET.get("window"))
    job_class = request.GET.get("class", "")
    return window, job_class if len(job_class) <= MAX_CLASS else ""


@require(VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    window, job_class = _params(request)
    classes = dashboard_data.known_classes()
    if job_class and job_class not in classes:
        classes = sorted([*classes, job_class])
    data_url = reverse("admin:mission_control_dashboard_data", current_app=admin_site(request).name)
    context = {
        "windows": dashboard_data.WINDOWS.values(),
        "window": window,
        "job_class": job_class,
        "classes": classes,
        "data_url": f"{data_url}?{request.GET.urlencode()}",
        "dashboard": True,
    }
    return render(request, "mission_control/dashboard.html", "Dashboard", context)


@require(VIEW)
def dashboard_json(request: HttpRequest) -> JsonResponse:
    window, job_class = _params(request)
    return JsonResponse(dashboard_data.dashboard_payload(window, job_class))


@require(VIEW)
def job_metrics_json(request: HttpRequest, job_id: str) -> JsonResponse:
    """Records per second of one batch job (404 JSON for a missing or non-batch job)."""
    row = load_row(job_id)
    if row is None or not batch_data.is_batch(row):
        return JsonResponse({"error": "no such batch job"}, status=404)
    since = as_utc(row.get("started_at")) or as_utc(row.get("created_at"))
    if since is None:
        return JsonResponse({"error": "the job has no start date"}, status=404)
    until = as_utc(row.get("completed_at"))
    return JsonResponse(dashboard_data.job_payload(row.id, since, until))
