"""Django settings for the test suite."""

from __future__ import annotations

import os
from pathlib import Path

from tests.server import url_with_database

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rocketjob",
    "mission_control",
    "tests.jobsapp",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("ROCKETJOB_TEST_SQLITE", str(BASE_DIR / "test.sqlite3")),
        "TEST": {"NAME": os.environ.get("ROCKETJOB_TEST_SQLITE_TEST", "")},
    }
}
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ROCKETJOB = {
    "mongodb_url": url_with_database(os.environ.get("ROCKETJOB_TEST_DATABASE", "rocketjob_test")),
    "heartbeat_seconds": 1.0,
    "max_poll_seconds": 0.2,
    "re_check_seconds": 2.0,
    "server_selection_timeout_ms": 3000,
    # The Django Tasks tests define their tasks in test modules, outside any installed app.
    "task_modules": ["tests.integration"],
}
