"""Cron schedule parsing and arithmetic (pure logic, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rocketjob.plugins.schedule import CronSchedule, InvalidScheduleError


def test_plain_schedule_is_utc() -> None:
    schedule = CronSchedule.parse("0 2 * * *")
    after = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    assert schedule.next_time(after) == datetime(2026, 1, 11, 2, 0, tzinfo=UTC)


def test_time_zone_suffix_follows_daylight_saving() -> None:
    schedule = CronSchedule.parse("0 2 * * * Europe/London")
    winter = schedule.next_time(datetime(2026, 1, 10, 3, 0, tzinfo=UTC))
    summer = schedule.next_time(datetime(2026, 7, 10, 3, 0, tzinfo=UTC))
    assert winter == datetime(2026, 1, 11, 2, 0, tzinfo=UTC)
    assert summer == datetime(2026, 7, 11, 1, 0, tzinfo=UTC)  # 02:00 BST
    assert winter.tzinfo is UTC


def test_six_fields_are_seconds_not_a_zone() -> None:
    schedule = CronSchedule.parse("*/5 * * * * 30")
    assert str(schedule.zone) == "UTC"
    after = datetime(2026, 1, 10, 3, 0, 0, tzinfo=UTC)
    assert schedule.next_time(after) == datetime(2026, 1, 10, 3, 0, 30, tzinfo=UTC)


def test_previous_time_includes_an_exact_match() -> None:
    schedule = CronSchedule.parse("0 22 * * *")
    at = datetime(2026, 1, 10, 22, 0, tzinfo=UTC)
    assert schedule.previous_time(at) == at
    assert schedule.previous_time(datetime(2026, 1, 10, 21, 59, tzinfo=UTC)) == datetime(
        2026, 1, 9, 22, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "bad",
    ["", "every day", "61 * * * *", "0 2 * *", "0 2 * * * Mars/Olympus", "0 2 * * * * * * *"],
)
def test_invalid_schedules_name_the_schedule(bad: str) -> None:
    with pytest.raises(InvalidScheduleError) as raised:
        CronSchedule.parse(bad)
    assert repr(bad) in str(raised.value)


def test_unknown_zone_is_named() -> None:
    with pytest.raises(InvalidScheduleError, match="unknown time zone 'Mars/Olympus'"):
        CronSchedule.parse("0 2 * * * Mars/Olympus")
