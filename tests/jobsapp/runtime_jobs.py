"""Job classes for the worker runtime tests (also loaded by worker subprocesses)."""

from __future__ import annotations

import time
from pathlib import Path

import mongoengine as me

from rocketjob import Job, Retry, after

PERFORMS = "runtime_performs"
COMPLETIONS = "runtime_completions"


class RuntimeJob(Job):
    """Records every perform and every completion, so duplicates and losses are countable.

    With ``record_file`` set, records are appended to that file instead of the database, so
    they survive (and are unaffected by) a database outage.
    """

    destroy_on_complete = False
    sleep_seconds = me.FloatField(default=0.0)
    record_file = me.StringField()

    def perform(self) -> None:
        self._record(PERFORMS)
        deadline = time.monotonic() + self.sleep_seconds
        while time.monotonic() < deadline:  # short sleeps, so a kill lands quickly
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))

    @after("complete")
    def record_completion(self) -> None:
        self._record(COMPLETIONS)

    def _record(self, kind: str) -> None:
        if self.record_file:
            with Path(self.record_file).open("a") as out:
                out.write(f"{kind} {self.pk} {self.worker_name}\n")
            return
        from rocketjob.connection import jobs_db

        jobs_db()[kind].insert_one({"job_id": str(self.pk), "worker": self.worker_name})


PERFORM_ENDS = "runtime_perform_ends"


class CheckpointJob(RuntimeJob):
    """Calls ``checkpoint()`` before each of ``steps`` short steps, then sleeps ``tail_seconds``
    past its last checkpoint; records its start (PERFORMS) and its end (PERFORM_ENDS)."""

    pausable = True
    checkpoints = True
    checkpoint_seconds = 0.2
    steps = me.IntField(default=100, user_editable=True)
    step_seconds = me.FloatField(default=0.05)
    tail_seconds = me.FloatField(default=0.0)

    def perform(self) -> None:
        self._record(PERFORMS)
        for _ in range(self.steps):
            self.checkpoint()
            time.sleep(self.step_seconds)
        time.sleep(self.tail_seconds)
        self._record(PERFORM_ENDS)


class TimeLimitJob(RuntimeJob):
    """Runs ``sleep_seconds`` in short Python steps, or (``blocked``) in one ``time.sleep``,
    a call in C that an exception raised into the thread cannot interrupt."""

    time_limit = 1.0
    blocked = me.BooleanField(default=False)

    def perform(self) -> None:
        if not self.blocked:
            super().perform()
        else:
            self._record(PERFORMS)
            time.sleep(self.sleep_seconds)
        self._record(PERFORM_ENDS)


class TimeLimitRetryJob(Retry, TimeLimitJob):
    retry_limit = 3


class RateLimitedJob(Job):
    """At most 5 starts per 2-second window, across every worker and process."""

    destroy_on_complete = False
    rate_limit = (5, 2.0)

    def perform(self) -> None:
        time.sleep(0.05)


class RuntimeFailJob(Job):
    destroy_on_complete = False

    def perform(self) -> None:
        raise RuntimeError("runtime job failed on purpose")


class RuntimeLowPriorityJob(RuntimeJob):
    """Same behaviour; a second class for include/exclude filters."""


__all__ = [
    "CheckpointJob",
    "RateLimitedJob",
    "RuntimeFailJob",
    "RuntimeJob",
    "RuntimeLowPriorityJob",
    "TimeLimitJob",
    "TimeLimitRetryJob",
]
