"""Retry: automatically retry a failed job with a growing delay.

::

    from rocketjob import Job, Retry

    class SyncJob(Retry, Job):
        retry_limit = 10          # default 25

        def perform(self):
            call_flaky_api()

After the n-th failure the job goes back to the queue with ``run_at = now + n**4 + 5``
seconds (6 s, 21 s, 86 s, 261 s, ...), until ``failure_count`` reaches ``retry_limit`` or the
job has expired; then it stays failed. Every failure time is kept in ``failed_at_list``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import mongoengine as me

from rocketjob.exceptions import RocketJobError
from rocketjob.fields import UTCDateTimeField
from rocketjob.plugins.job.callbacks import after, before
from rocketjob.plugins.job.model import utc_now


class Retry:
    """Re-queues a failed job after ``failure_count**4 + 5`` seconds, up to ``retry_limit``."""

    retry_limit = me.IntField(default=25, min_value=0, user_editable=True, copy_on_restart=True)
    failed_at_list = me.ListField(UTCDateTimeField())

    failure_count: Any
    run_at: Any
    pk: Any

    def rocketjob_retry_delay_seconds(self) -> int:
        """Seconds to wait before the next attempt, from the number of failures so far."""
        return int(self.failure_count or 0) ** 4 + 5

    def rocketjob_retry_exhausted(self) -> bool:
        return bool((self.failure_count or 0) >= (self.retry_limit or 0))

    @before("fail")
    def rocketjob_retry_record_failure(self) -> None:
        self.failed_at_list = [*(self.failed_at_list or []), utc_now()]

    @after("fail")
    def rocketjob_retry_schedule(self) -> None:
        if self.pk is None or "state" in self._get_changed_fields():  # type: ignore[attr-defined]
            return  # running inline (perform_now): nothing was saved, nothing to retry
        if self.is_expired():  # type: ignore[attr-defined]
            self.logger.info("not retried: the job has expired")  # type: ignore[attr-defined]
            return
        if self.rocketjob_retry_exhausted():
            self.logger.warning(  # type: ignore[attr-defined]
                "not retried: retry limit %s reached", self.retry_limit
            )
            return
        delay = self.rocketjob_retry_delay_seconds()
        self.run_at = utc_now() + timedelta(seconds=delay)
        try:
            self.fire("retry")  # type: ignore[attr-defined]
        except RocketJobError as exc:  # another process changed it, or a singleton conflict
            self.logger.warning("automatic retry not applied: %s", exc)  # type: ignore[attr-defined]
            return
        self.logger.info(  # type: ignore[attr-defined]
            "failed; retrying in %s s",
            delay,
            extra={"failure_count": self.failure_count, "retry_in_seconds": delay},
        )
