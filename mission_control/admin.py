"""Registers Mission Control in the Django admin.

Each unmanaged model gets a ModelAdmin whose ``get_urls`` replaces the admin's changelist and
change views with Mission Control's own, every one wrapped in ``admin_site.admin_view`` (staff
login, CSRF, never cached) and rendered in the viewer's time zone. The admin index then lists
Jobs, Servers and Dirmon entries for users holding their ``view`` permission.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, path

from mission_control import models, urls
from mission_control.timezones import in_viewer_zone


class MissionControlAdmin(admin.ModelAdmin):
    """Base: no add/change/delete through the admin's generic views."""

    patterns: Callable[[urls.Wrap], list[URLPattern]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def wrap(self, view: Callable[..., Any]) -> Callable[..., Any]:
        site = self.admin_site

        @wraps(view)
        def with_site(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            request.mission_control_site = site
            return view(request, *args, **kwargs)

        return site.admin_view(in_viewer_zone(with_site))

    def get_urls(self) -> list[URLPattern]:
        return type(self).patterns(self.wrap)


@admin.register(models.Job)
class JobAdmin(MissionControlAdmin):
    patterns = staticmethod(urls.job_patterns)

    def get_urls(self) -> list[URLPattern]:
        from mission_control.views.metrics import metrics

        # Not wrapped in admin_view: a scraper with the bearer token has no session.
        exposition = path("metrics/", metrics, name="mission_control_metrics")
        return [exposition, *super().get_urls()]


@admin.register(models.Server)
class ServerAdmin(MissionControlAdmin):
    patterns = staticmethod(urls.server_patterns)


@admin.register(models.DirmonEntry)
class DirmonEntryAdmin(MissionControlAdmin):
    patterns = staticmethod(urls.dirmon_patterns)
