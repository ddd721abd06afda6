"""Settings resolution: defaults, ROCKETJOB_* environment, the ROCKETJOB dict, validation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from rocketjob.conf import get_settings, reset_settings_cache
from rocketjob.exceptions import ConfigurationError


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    reset_settings_cache()
    yield
    reset_settings_cache()


def test_defaults_match_rocket_job() -> None:
    with override_settings(ROCKETJOB={}):
        settings = get_settings()
    assert settings.max_workers == 10
    assert settings.heartbeat_seconds == 15
    assert settings.max_poll_seconds == 5
    assert settings.re_check_seconds == 60
    assert settings.mongodb_url == ""  # embedded server
    assert settings.embedded_data_dir.endswith(".rocketjob")


def test_environment_is_read_and_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROCKETJOB_MAX_WORKERS", "4")
    monkeypatch.setenv("ROCKETJOB_HEARTBEAT_SECONDS", "2.5")
    monkeypatch.setenv("ROCKETJOB_WHERE_FILTER", '{"priority": {"$lte": 10}}')
    monkeypatch.setenv("ROCKETJOB_SLICES_MONGODB_URL", "mongodb://slices.example:27017/s")
    with override_settings(ROCKETJOB={}):
        settings = get_settings()
    assert settings.max_workers == 4 and settings.heartbeat_seconds == 2.5
    assert settings.where_filter == {"priority": {"$lte": 10}}
    assert settings.slices_url == "mongodb://slices.example:27017/s"


def test_settings_dict_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROCKETJOB_MAX_WORKERS", "4")
    with override_settings(ROCKETJOB={"max_workers": 7}):
        assert get_settings().max_workers == 7


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROCKETJOB_MAX_WORKERS", "many")
    with override_settings(ROCKETJOB={}), pytest.raises(ConfigurationError, match="MAX_WORKERS"):
        get_settings()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"include_filter": "A", "exclude_filter": "B"}, "cannot both be set"),
        ({"include_filter": "("}, "not a valid regular expression"),
        ({"max_workers": 0}, "max_workers must be at least 1"),
        ({"heartbeat_seconds": 0}, "heartbeat_seconds must be greater than 0"),
        ({"mongodb_url": "localhost:27017"}, "must start with mongodb://"),
        ({"max_wrkers": 3}, "unknown ROCKETJOB settings"),
    ],
)
def test_invalid_configuration_is_reported_by_a_system_check(config: dict, message: str) -> None:
    with override_settings(ROCKETJOB=config):
        with pytest.raises(ConfigurationError, match=message):
            get_settings()
        errors = [m for m in run_checks(tags=["rocketjob"]) if m.id == "rocketjob.E001"]
    assert len(errors) == 1 and message in errors[0].msg


def test_unreachable_database_is_reported_by_a_system_check() -> None:
    from rocketjob.connection import connect
    from tests.server import test_server_url

    config = {"mongodb_url": "mongodb://127.0.0.1:9/nothing", "server_selection_timeout_ms": 300}
    try:
        with override_settings(ROCKETJOB=config):
            connect()
            errors = [m for m in run_checks(tags=["rocketjob"]) if m.id == "rocketjob.E002"]
    finally:
        reset_settings_cache()
        connect()  # back to the test database for the autouse fixture's teardown
    assert len(errors) == 1 and "cannot reach MongoDB at mongodb://127.0.0.1:9" in errors[0].msg
    assert test_server_url()


def test_metrics_settings_have_defaults_and_read_booleans_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with override_settings(ROCKETJOB={}):
        settings = get_settings()
    assert settings.metrics_enabled is True
    assert settings.metrics_retention_seconds == 7 * 24 * 3600
    assert settings.metrics_token == ""
    reset_settings_cache()
    monkeypatch.setenv("ROCKETJOB_METRICS_ENABLED", "false")
    monkeypatch.setenv("ROCKETJOB_METRICS_RETENTION_SECONDS", "3600")
    with override_settings(ROCKETJOB={}):
        settings = get_settings()
    assert settings.metrics_enabled is False and settings.metrics_retention_seconds == 3600


def test_metrics_retention_below_a_minute_is_rejected() -> None:
    with (
        override_settings(ROCKETJOB={"metrics_retention_seconds": 10}),
        pytest.raises(ConfigurationError, match="metrics_retention_seconds must be at least 60"),
    ):
        get_settings()
