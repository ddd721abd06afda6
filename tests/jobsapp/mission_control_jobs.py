"""Job classes for the Mission Control browser tests (also loaded by worker subprocesses)."""

from __future__ import annotations

import time

import mongoengine as me

from rocketjob import Job


class FlakyJob(Job):
    """Fails its first ``fail_times`` runs, then succeeds: the retry-from-the-UI scenario."""

    destroy_on_complete = False
    fail_times = me.IntField(default=1)
    message = me.StringField(default="flaky failure")
    sleep_seconds = me.FloatField(default=0.0)

    def perform(self) -> None:
        if (self.failure_count or 0) < self.fail_times:
            raise RuntimeError(self.message)
        time.sleep(self.sleep_seconds)


__all__ = ["FlakyJob"]
