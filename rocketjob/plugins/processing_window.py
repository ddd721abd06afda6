"""ProcessingWindow: the job may only run inside a recurring window of time.

::

    from rocketjob import Job, ProcessingWindow

    class BankFileJob(ProcessingWindow, Job):
        processing_schedule = "0 22 * * * America/New_York"   # window opens 22:00 New York
        processing_duration = 4 * 3600                        # and stays open 4 hours

        def perform(self): ...

``run_at`` moves to the start of the next window when the job is created or retried outside
a window. A job claimed after its window closed (it waited too long in the queue) is put back
with ``run_at`` moved to the next window, and ``throttled_by`` says why. The original Ruby
plugin re-queued such a job without moving ``run_at``, so workers claimed it again at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import mongoengine as me

from rocketjob import queries
from rocketjob.plugins.job.callbacks import before
from rocketjob.plugins.job.model import as_utc, utc_now
from rocketjob.plugins.job.throttle import throttle
from rocketjob.plugins.schedule import CronSchedule, InvalidScheduleError


class ProcessingWindow:
    """Runs only between each ``processing_schedule`` time and ``processing_duration`` later."""

    processing_schedule = me.StringField(required=True, user_editable=True, copy_on_restart=True)
    processing_duration = me.IntField(
        required=True, min_value=1, user_editable=True, copy_on_restart=True
    )

    run_at: Any
    pk: Any
    state: Any
    worker_name: Any

    def rocketjob_processing_window(self) -> CronSchedule:
        try:
            return CronSchedule.parse(self.processing_schedule)
        except InvalidScheduleError as exc:
            raise me.ValidationError(str(exc), field_name="processing_schedule") from exc

    def processing_window_active(self, at: datetime | None = None) -> bool:
        """Whether ``at`` (default now) falls inside a processing window."""
        return self.rocketjob_processing_window().window_active(self.processing_duration, at)

    def rocketjob_next_window_run_at(self) -> datetime | None:
        """run_at if it (or now) is inside a window, else the start of the next window."""
        at = max(as_utc(self.run_at) or utc_now(), utc_now())
        if self.processing_window_active(at):
            return as_utc(self.run_at)
        return self.rocketjob_processing_window().next_time(at)

    def clean(self) -> None:
        super().clean()  # type: ignore[misc]
        if self.processing_schedule:
            self.rocketjob_processing_window()
            changed = self.pk is None or "processing_duration" in self._get_changed_fields()  # type: ignore[attr-defined]
            if changed and self.processing_duration:
                self.rocketjob_check_duration()
            if self.pk is None and self.processing_duration:
                self.run_at = self.rocketjob_next_window_run_at()

    def rocketjob_check_duration(self) -> None:
        """A window so long that its end is past year 9999 would fail every claim with an
        OverflowError; refuse it when it is set instead."""
        try:
            self.processing_window_active()
        except OverflowError as exc:
            raise me.ValidationError(
                f"processing_duration {self.processing_duration} s is too long: the window "
                "would end after the year 9999",
                field_name="processing_duration",
            ) from exc

    @before("retry")
    def rocketjob_processing_window_on_retry(self) -> None:
        self.run_at = self.rocketjob_next_window_run_at()

    @throttle(exclude="id", on_join=False)
    def processing_window_closed(self) -> bool:
        """Holds a claimed job outside its window and moves its run_at to the next window."""
        if self.processing_window_active():
            return False
        next_start = self.rocketjob_processing_window().next_time()
        self._get_collection().update_one(  # type: ignore[attr-defined]
            queries.owned_by(self.pk, self.worker_name),
            {"$set": {"run_at": next_start}},
        )
        self.run_at = next_start
        self.logger.warning(  # type: ignore[attr-defined]
            "processing window closed; re-scheduled", extra={"run_at": str(next_start)}
        )
        return True
