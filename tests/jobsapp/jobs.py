"""Job classes shared by tests and the worker processes tests start."""

from __future__ import annotations

import time

import mongoengine as me

from rocketjob import Job


class NoopJob(Job):
    """Does nothing; used to count claims and completions."""

    destroy_on_complete = False

    def perform(self) -> None:
        return None


class CountingJob(Job):
    """Records each perform in a side-effect collection, so duplicates are detectable."""

    destroy_on_complete = False
    sleep_seconds = me.FloatField(default=0.0)

    def perform(self) -> None:
        from rocketjob.connection import jobs_db

        if self.sleep_seconds:
            time.sleep(self.sleep_seconds)
        jobs_db()["test_side_effects"].insert_one({"job_id": self.pk, "worker": self.worker_name})


class FailingJob(Job):
    """Always raises; its message is attacker-controlled in some tests."""

    destroy_on_complete = False
    message = me.StringField(default="boom")

    def perform(self) -> None:
        raise ValueError(self.message)


from tests.jobsapp.batch_jobs import *  # noqa: E402, F403
from tests.jobsapp.behaviour_jobs import *  # noqa: E402, F403
from tests.jobsapp.foundation_jobs import *  # noqa: E402, F403
from tests.jobsapp.mission_control_jobs import *  # noqa: E402, F403
from tests.jobsapp.plugin_jobs import *  # noqa: E402, F403
from tests.jobsapp.runtime_jobs import *  # noqa: E402, F403
