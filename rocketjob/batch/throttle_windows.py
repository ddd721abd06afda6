"""ThrottleWindows: a batch job's slices are processed only inside time windows.

::

    class BankFileJob(ThrottleWindows, Batch, Job):
        primary_schedule = "0 22 * * * America/New_York"   # 22:00 ...
        primary_duration = 8 * 3600                        # ... to 06:00
        secondary_schedule = "0 12 * * SAT,SUN"            # and weekend afternoons
        secondary_duration = 4 * 3600

As in Ruby Rocket Job, the windows gate slice processing only: the job may start (and run
``before_batch``) at any time, and its workers take slices only while a window is open. When
the last window closes, workers finish the slice in hand and leave; they come back when one
opens (within ``re_check_seconds``). A window without a schedule is ignored; with none at all
the job is never throttled. All four fields are user-editable (Mission Control) and copied on
restart; schedules use the shared syntax (croniter with an optional time zone).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import mongoengine as me

from rocketjob.batch.batch_throttles import batch_throttle
from rocketjob.plugins.job.model import utc_now
from rocketjob.plugins.schedule import CronSchedule, InvalidScheduleError

_WINDOWS = (("primary_schedule", "primary_duration"), ("secondary_schedule", "secondary_duration"))


class ThrottleWindows:
    """Slices only between a schedule's time and its duration later (primary or secondary)."""

    primary_schedule = me.StringField(user_editable=True, copy_on_restart=True)
    primary_duration = me.IntField(min_value=1, user_editable=True, copy_on_restart=True)
    secondary_schedule = me.StringField(user_editable=True, copy_on_restart=True)
    secondary_duration = me.IntField(min_value=1, user_editable=True, copy_on_restart=True)

    def rocketjob_throttle_windows(self) -> list[tuple[CronSchedule, int]]:
        windows = []
        for schedule_name, duration_name in _WINDOWS:
            schedule: Any = getattr(self, schedule_name)
            if not schedule:
                continue
            try:
                parsed = CronSchedule.parse(schedule)
            except InvalidScheduleError as exc:
                raise me.ValidationError(str(exc), field_name=schedule_name) from exc
            duration = getattr(self, duration_name)
            if not duration:
                raise me.ValidationError(
                    f"{duration_name} is required with {schedule_name}", field_name=duration_name
                )
            windows.append((parsed, int(duration)))
        return windows

    def clean(self) -> None:
        super().clean()  # type: ignore[misc]
        self.rocketjob_throttle_windows()

    def throttle_windows_open(self, at: datetime | None = None) -> bool:
        """Whether ``at`` (default now) is inside a window (True when none is configured)."""
        windows = self.rocketjob_throttle_windows()
        at = at or utc_now()
        return not windows or any(s.window_active(d, at) for s, d in windows)

    @batch_throttle
    def throttle_windows_closed(self) -> bool:
        return not self.throttle_windows_open()
