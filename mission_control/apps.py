"""Mission Control app configuration."""

from __future__ import annotations

from django.apps import AppConfig


class MissionControlConfig(AppConfig):
    name = "mission_control"
    verbose_name = "Mission Control"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from mission_control import checks  # noqa: F401 - registers the system checks
