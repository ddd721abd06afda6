"""Cron schedules with an optional time zone, shared by Cron, ProcessingWindow and Dirmon.

Syntax: a croniter expression (5 fields, or 6 with seconds last) optionally followed by an IANA
time zone name, e.g. ``"0 2 * * * Europe/London"`` runs at 02:00 London time, following
daylight saving changes. Without a zone the schedule is in UTC. Putting the zone in the string
(as Fugit does for Ruby Rocket Job) keeps one user-editable field per schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from rocketjob.plugins.job.model import utc_now


class InvalidScheduleError(ValueError):
    """A cron schedule string cannot be parsed; the message names the schedule."""


@dataclass(frozen=True)
class CronSchedule:
    """A parsed schedule: the cron expression and the zone it is evaluated in."""

    expression: str
    zone: ZoneInfo

    @classmethod
    def parse(cls, schedule: str) -> CronSchedule:
        """Parse ``"<cron fields> [Zone/Name]"``; raise InvalidScheduleError naming it."""
        tokens = (schedule or "").split()
        zone = ZoneInfo("UTC")
        if len(tokens) >= 6 and any(c.isalpha() for c in tokens[-1]):
            zone = _zone(tokens[-1], schedule)
            tokens = tokens[:-1]
        expression = " ".join(tokens)
        if len(tokens) not in (5, 6) or not croniter.is_valid(expression):
            raise InvalidScheduleError(
                f"invalid cron schedule {schedule!r}: expected 5 cron fields (minute hour "
                "day-of-month month day-of-week), optionally a seconds field and a time zone, "
                "e.g. '0 2 * * * Europe/London'"
            )
        parsed = cls(expression=expression, zone=zone)
        parsed.next_time()  # "0 0 30 2 *" parses but never fires: refuse it here
        return parsed

    def next_time(self, after: datetime | None = None) -> datetime:
        """The first scheduled time strictly after ``after`` (default now), in UTC."""
        start = (after or utc_now()).astimezone(self.zone)
        try:
            value = croniter(self.expression, start).get_next(datetime)
        except CroniterBadDateError as exc:
            raise InvalidScheduleError(
                f"invalid cron schedule {self.expression!r}: it never fires (no such date, "
                "e.g. 30 February or 31 April)"
            ) from exc
        return _to_utc(value)

    def previous_time(self, at: datetime | None = None) -> datetime:
        """The latest scheduled time at or before ``at`` (default now), in UTC."""
        start = ((at or utc_now()) + timedelta(seconds=1)).astimezone(self.zone)
        value = croniter(self.expression, start).get_prev(datetime)
        return _to_utc(value)

    def window_active(self, duration_seconds: float, at: datetime | None = None) -> bool:
        """Whether ``at`` (default now) is within ``duration_seconds`` of a scheduled time:
        the window opened by the latest scheduled time is still open."""
        at = at or utc_now()
        return bool(self.previous_time(at) + timedelta(seconds=duration_seconds) > at)


def validate_schedule(schedule: str) -> None:
    """Raise InvalidScheduleError unless ``schedule`` parses."""
    CronSchedule.parse(schedule)


def _zone(name: str, schedule: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidScheduleError(
            f"invalid cron schedule {schedule!r}: unknown time zone {name!r}"
        ) from exc


def _to_utc(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
