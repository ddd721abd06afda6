"""Django app configuration: connects mongoengine from settings when Django starts."""

from __future__ import annotations

from django.apps import AppConfig


class RocketJobConfig(AppConfig):
    name = "rocketjob"
    verbose_name = "Rocket Job"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from rocketjob import checks  # noqa: F401 - registers the system checks
        from rocketjob.conf import get_settings
        from rocketjob.connection import connect
        from rocketjob.exceptions import ConfigurationError

        try:
            settings = get_settings()
        except ConfigurationError:
            return  # reported by the system check, with the reason
        connect(settings)
        # Register the index hooks of servers and events in every process, so that
        # ensure_indexes() creates all collections' indexes wherever it runs.
        from rocketjob.events import event  # noqa: F401
        from rocketjob.metrics import receivers, store  # noqa: F401
        from rocketjob.runtime import server  # noqa: F401

        # Job classes live in each app's jobs.py; import them so workers know every class.
        autodiscover_modules("jobs")
