"""Job classes for the worker runtime tests (also loaded by worker subprocesses)."""

from __future__ import annotations

import time
from pathlib import Path

import mongoengine as me

from rocketjob import Job, after

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


class RuntimeFailJob(Job):
    destroy_on_complete = False

    def perform(self) -> None:
        raise RuntimeError("runtime job failed on purpose")


class RuntimeLowPriorityJob(RuntimeJob):
    """Same behaviour; a second class for include/exclude filters."""


__all__ = ["RuntimeFailJob", "RuntimeJob", "RuntimeLowPriorityJob"]
