"""``throttle_running_workers``: a per-job cap on slices processed at the same time.

Set it on the class (``throttle_running_workers = 4``) or per job (it is user editable, so
Mission Control can change it while the job runs; workers re-read it about once a second).
A worker claims a slice first and gives it back when the job is over its cap, so concurrent
claims can never keep the job above its cap; workers then skip the job until their next
re-check.
"""

from __future__ import annotations

from typing import Any

from rocketjob.sliced.slices import Slices


class BatchThrottle:
    throttle_running_workers: Any
    state: str

    def worker_count(self) -> int:
        """Workers on this batch job now: its running slices, over every input category."""
        if self.state != "running":
            return 0
        names = self.input_category_names()  # type: ignore[attr-defined]
        return sum(self.input(name).count_in(("running",)) for name in names)  # type: ignore[attr-defined]

    def rocketjob_workers_capped(self, slices: Slices) -> bool:
        """Before joining: is the cap already reached by slices being processed?"""
        limit = self.throttle_running_workers
        return bool(limit) and slices.count_in(("running",), limit=int(limit)) >= int(limit)

    def rocketjob_slice_throttled(self, slices: Slices) -> bool:
        """After claiming a slice: are more slices running than the cap allows?"""
        limit = self.throttle_running_workers
        if not limit:
            return False
        return slices.count_in(("running",), limit=int(limit) + 1) > int(limit)
