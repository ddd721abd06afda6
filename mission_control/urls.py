"""URL patterns of Mission Control, mounted by the admin (see :mod:`mission_control.admin`).

They live under the admin's URL of each unmanaged model, e.g. ``/admin/mission_control/job/``,
and are named in the admin's namespace (``admin:mission_control_job_detail``). ``wrap`` is the
admin site's ``admin_view``: staff login, CSRF protection and no caching for every view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path, register_converter

from mission_control.views import batch, dirmon, jobs, servers

Wrap = Callable[[Callable[..., Any]], Callable[..., Any]]


class Int64Converter:
    """A non-negative integer that fits MongoDB's int64 (slice ids, record indexes).

    A larger number does not match the URL (404) instead of overflowing in pymongo (500).
    """

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number >= 2**63:
            raise ValueError(f"{value} does not fit a 64-bit integer")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(Int64Converter, "int64")


def job_patterns(wrap: Wrap) -> list[URLPattern]:
    return [
        path("", wrap(jobs.job_list), name="mission_control_job_changelist"),
        path("state/<str:state>/", wrap(jobs.job_list), name="mission_control_job_list"),
        path("bulk/", wrap(jobs.job_bulk), name="mission_control_job_bulk"),
        path("<str:job_id>/", wrap(jobs.job_detail), name="mission_control_job_detail"),
        path("<str:job_id>/edit/", wrap(jobs.job_edit), name="mission_control_job_edit"),
        path(
            "<str:job_id>/action/<str:action_name>/",
            wrap(jobs.job_action),
            name="mission_control_job_action",
        ),
        *batch_patterns(wrap),
    ]


def batch_patterns(wrap: Wrap) -> list[URLPattern]:
    record = "<str:job_id>/slices/<int64:slice_id>/records/<int64:index>/"
    return [
        path(
            "<str:job_id>/exceptions/",
            wrap(batch.job_exceptions),
            name="mission_control_job_exceptions",
        ),
        path(
            "<str:job_id>/slices/",
            wrap(batch.job_failed_slices),
            name="mission_control_job_failed_slices",
        ),
        path(
            "<str:job_id>/slices/<int64:slice_id>/",
            wrap(batch.slice_detail),
            name="mission_control_job_slice",
        ),
        path(f"{record}edit/", wrap(batch.record_edit), name="mission_control_record_edit"),
        path(f"{record}delete/", wrap(batch.record_delete), name="mission_control_record_delete"),
    ]


def server_patterns(wrap: Wrap) -> list[URLPattern]:
    return [
        path("", wrap(servers.server_list), name="mission_control_server_changelist"),
        path("state/<str:state>/", wrap(servers.server_list), name="mission_control_server_list"),
        path("workers/", wrap(servers.worker_list), name="mission_control_server_workers"),
        path("bulk/", wrap(servers.server_bulk), name="mission_control_server_bulk"),
        path(
            "destroy-zombies/",
            wrap(servers.server_destroy_zombies),
            name="mission_control_server_destroy_zombies",
        ),
        path(
            "action/<str:action_name>/",
            wrap(servers.server_action),
            name="mission_control_server_action",
        ),
    ]


def dirmon_patterns(wrap: Wrap) -> list[URLPattern]:
    return [
        path("", wrap(dirmon.dirmon_list), name="mission_control_dirmonentry_changelist"),
        path("state/<str:state>/", wrap(dirmon.dirmon_list), name="mission_control_dirmon_list"),
        path("new/", wrap(dirmon.dirmon_new), name="mission_control_dirmon_new"),
        path("<str:entry_id>/", wrap(dirmon.dirmon_detail), name="mission_control_dirmon_detail"),
        path("<str:entry_id>/edit/", wrap(dirmon.dirmon_edit), name="mission_control_dirmon_edit"),
        path(
            "<str:entry_id>/destroy/",
            wrap(dirmon.dirmon_destroy),
            name="mission_control_dirmon_destroy",
        ),
        path(
            "<str:entry_id>/<str:event>/",
            wrap(dirmon.dirmon_event),
            name="mission_control_dirmon_event",
        ),
    ]
