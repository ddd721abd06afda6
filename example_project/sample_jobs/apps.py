from __future__ import annotations

from django.apps import AppConfig


class SampleJobsConfig(AppConfig):
    name = "example_project.sample_jobs"
    label = "sample_jobs"
    default_auto_field = "django.db.models.AutoField"
