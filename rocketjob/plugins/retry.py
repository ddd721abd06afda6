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

* ``retry_jitter`` (class attribute, default 0): add up to this fraction of the delay at
  random (``0.5``: 6 s becomes 6-9 s), so jobs that failed together do not all retry together.
* ``retry_on`` / ``dont_retry_on`` (tuples of exception classes): retry only failures raised
  as one of ``retry_on`` (default: every exception), never those raised as one of
  ``dont_retry_on`` (checked first; subclasses match).
* A job failed by an operator (``job.fail()`` with no exception, e.g. Mission Control's Fail
  button) is never retried automatically: the state the operator set is the one that stays.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any, ClassVar

import mongoengine as me

from rocketjob.exceptions import RocketJobError
from rocketjob.fields import UTCDateTimeField
from rocketjob.plugins.job.callbacks import after, before
from rocketjob.plugins.job.model import utc_now


class Retry:
    """Re-queues a failed job after ``failure_count**4 + 5`` seconds, up to ``retry_limit``."""

    retry_limit = me.IntField(default=25, min_value=0, user_editable=True, copy_on_restart=True)
    failed_at_list = me.ListField(UTCDateTimeField())

    #: Add up to this fraction of the delay at random (0 = exactly ``failures**4 + 5``).
    retry_jitter: ClassVar[float] = 0.0
    #: Retry only these exception classes (empty: every exception).
    retry_on: ClassVar[tuple[type[BaseException], ...]] = ()
    #: Never retry these exception classes (wins over ``retry_on``).
    dont_retry_on: ClassVar[tuple[type[BaseException], ...]] = ()

    failure_count: Any
    run_at: Any
    pk: Any

    def rocketjob_retry_delay_seconds(self) -> float:
        """Seconds to wait before the next attempt, from the number of failures so far."""
        base = int(self.failure_count or 0) ** 4 + 5
        jitter = float(self.retry_jitter or 0.0)
        if jitter <= 0:
            return base
        return base + random.uniform(0.0, jitter * base)

    def rocketjob_retry_wanted(self, exception: BaseException | None) -> bool:
        """Whether a failure raised as ``exception`` is one to retry (None: failed by a user)."""
        if exception is None:
            return False
        if self.dont_retry_on and isinstance(exception, self.dont_retry_on):
            return False
        return not self.retry_on or isinstance(exception, self.retry_on)

    def rocketjob_effect_fail(
        self, exception: BaseException | None = None, worker_name: str | None = None, **kwargs: Any
    ) -> None:
        # Kept for the after-fail callback, which decides on the exception's class.
        self._rocketjob_retry_exception = exception
        super().rocketjob_effect_fail(  # type: ignore[misc]
            exception=exception, worker_name=worker_name, **kwargs
        )

    def rocketjob_retry_exhausted(self) -> bool:
        return bool((self.failure_count or 0) >= (self.retry_limit or 0))

    @before("fail")
    def rocketjob_retry_record_failure(self) -> None:
        self.failed_at_list = [*(self.failed_at_list or []), utc_now()]

    @after("fail")
    def rocketjob_retry_schedule(self) -> None:
        if self.pk is None or "state" in self._get_changed_fields():  # type: ignore[attr-defined]
            return  # running inline (perform_now): nothing was saved, nothing to retry
        exception = getattr(self, "_rocketjob_retry_exception", None)
        self._rocketjob_retry_exception = None
        if not self.rocketjob_retry_wanted(exception):
            reason = "failed by a user" if exception is None else type(exception).__name__
            self.logger.info("not retried: %s", reason)  # type: ignore[attr-defined]
            return
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
        delay = round(delay, 1)
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
