"""``throttle_running_workers``: a per-job cap on slices processed at the same time.

Set it on the class (``throttle_running_workers = 4``) or per job (it is user editable, so
Mission Control can change it while the job runs; workers re-read it about once a second).
A worker claims a slice first and gives it back when the cap is exceeded, so concurrent
claims can never push the job over its cap; workers skip a capped job until their next
re-check.
"""

from __future__ import annotations

from typing import Any


class BatchThrottle:
    throttle_running_workers: Any

    def rocketjob_workers_capped(self, running_slices: int) -> bool:
        limit = self.throttle_running_workers
        return bool(limit) and running_slices >= int(limit)
