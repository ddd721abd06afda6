"""``/admin/mission_control/job/metrics/``: the cluster's metrics for Prometheus.

Readable by staff holding ``view_job`` (a browser session), or by a scraper sending
``Authorization: Bearer <metrics_token>`` when that setting is set. It is mounted outside
``admin_view`` so that a scraper gets 403, not a redirect to the login page; GET only.
"""

from __future__ import annotations

import hmac

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from rocketjob.conf import get_settings
from rocketjob.metrics.exposition import ClusterCollector


def _bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None for any other header."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return presented.strip() if scheme.lower() == "bearer" else None


def _allowed(request: HttpRequest) -> bool:
    """A presented bearer token must be the right one (a session does not rescue a wrong
    one); without one, e.g. behind a proxy's Basic auth, the session's user decides."""
    presented = _bearer_token(request)
    if presented is not None:
        expected = get_settings().metrics_token
        return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm("mission_control.view_job"))


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise PermissionDenied("requires the view_job permission or the metrics token")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClusterCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
