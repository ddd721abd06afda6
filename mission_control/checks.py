"""System checks: Mission Control needs the admin and rocketjob apps; say so at startup
rather than failing with a NoReverseMatch or a missing-connection error on the first page."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, register

REQUIRED_APPS = {
    "django.contrib.admin": "mission_control.E001",
    "rocketjob": "mission_control.E002",
}


@register()
def check_required_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(
            f"Mission Control needs {name!r} in INSTALLED_APPS.",
            hint=f"Add {name!r} to INSTALLED_APPS (before 'mission_control').",
            id=check_id,
        )
        for name, check_id in REQUIRED_APPS.items()
        if not apps.is_installed(name)
    ]
