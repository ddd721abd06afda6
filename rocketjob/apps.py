"""Django app configuration: connects mongoengine from settings when Django starts."""

from __future__ import annotations

from django.apps import AppConfig


class RocketJobConfig(AppConfig):
    name = "rocketjob"
    verbose_name = "Rocket Job"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from rocketjob import checks  # noqa: F401 - registers the system checks
        from rocketjob.conf import get_settings
        from rocketjob.connection import connect
        from rocketjob.exceptions import ConfigurationError

        try:
            settings = get_settings()
        except ConfigurationError:
            return  # reported by the system check, with the reason
        connect(settings)
        # Job classes live in each app's jobs.py; import them so workers know every class.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
