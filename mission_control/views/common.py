"""What every Mission Control page shares: the admin's context, permission checks, paging."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from mission_control.jobs_data import counts_by_list

#: Seconds between live refreshes of lists and detail pages.
REFRESH_SECONDS = 5


def admin_site(request: HttpRequest) -> admin.AdminSite:
    return getattr(request, "mission_control_site", admin.site)


def require(
    permission: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Deny (403) users without ``permission``; the admin site already required staff."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied(f"requires the {permission} permission")
            return view(request, *args, **kwargs)

        return checked

    return decorator


def render(
    request: HttpRequest, template: str, title: str, context: dict[str, Any], status: int = 200
) -> TemplateResponse:
    """Render inside the admin: its sidebar, user tools, breadcrumbs and the job counts."""
    site = admin_site(request)
    can_view_servers = request.user.has_perm("mission_control.view_server")
    full = {
        **site.each_context(request),
        "title": title,
        "mc_counts": counts_by_list(),
        "mc_refresh_seconds": REFRESH_SECONDS,
        "mc_time_zone": timezone.get_current_timezone_name(),
        "mc_can_view_servers": can_view_servers,
        "mc_can_view_jobs": request.user.has_perm("mission_control.view_job"),
        "mc_can_view_dirmon": request.user.has_perm("mission_control.view_dirmonentry"),
        "mc_workers_url": reverse("admin:mission_control_server_workers", current_app=site.name)
        if can_view_servers
        else "",
        **context,
    }
    request.current_app = site.name
    return TemplateResponse(request, template, full, status=status)


class Page:
    """One page of a result list: ``number``, ``count``, ``pages`` and neighbours."""

    def __init__(self, number: int, per_page: int, count: int) -> None:
        self.count = count
        self.per_page = per_page
        self.pages = max(1, math.ceil(count / per_page))
        self.number = min(max(1, number), self.pages)
        self.skip = (self.number - 1) * per_page

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.count == 0 else self.skip + 1

    @property
    def last_index(self) -> int:
        return min(self.count, self.skip + self.per_page)
