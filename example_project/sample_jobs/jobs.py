"""Sample jobs for the demo: quick ones, slow ones with progress, and one that fails."""

from __future__ import annotations

import random
import time

import mongoengine as me

from rocketjob import Job


class HelloJob(Job):
    """Greets someone: the smallest useful job."""

    destroy_on_complete = False
    name = me.StringField(default="world", user_editable=True, copy_on_restart=True)

    def perform(self) -> str:
        greeting = f"Hello, {self.name}!"
        self.logger.info(greeting)
        return greeting


class SlowReportJob(Job):
    """Takes a while and reports its progress (see the running page in Mission Control)."""

    priority = 40
    destroy_on_complete = False
    steps = me.IntField(default=20, min_value=1, max_value=1000, user_editable=True)
    step_seconds = me.FloatField(default=0.5, min_value=0, user_editable=True)

    def perform(self) -> None:
        for step in range(1, self.steps + 1):
            time.sleep(self.step_seconds)
            self.set_fields(percent_complete=int(step * 100 / self.steps))


class FlakyJob(Job):
    """Fails some of the time, to show failed jobs, their exceptions and retry."""

    destroy_on_complete = False
    failure_rate = me.FloatField(default=0.5, min_value=0, max_value=1, user_editable=True)

    def perform(self) -> None:
        if random.random() < self.failure_rate:
            raise ConnectionError("the upstream service did not answer (simulated)")


from example_project.sample_jobs.csv_example import OrdersToEuroJob  # noqa: E402, F401


class ThrottledReportJob(SlowReportJob):
    """At most one runs at a time: the second waits, showing ``throttled_by`` in Mission Control."""

    throttle_running_jobs = 1


# Job classes must be imported at start-up so every worker knows them.
