"""LowerPriority: a big batch job runs at a lower priority, so small jobs get through.

::

    class ReconcileJob(LowerPriority, Batch, Job):
        lower_priority_count = 100_000     # default: one step per 100,000 records

As in Ruby Rocket Job, when the job's slices open (``before_batch``), its ``priority`` number
grows by one per ``lower_priority_count`` records (capped at 100, the lowest priority): a
job of 2,500,000 records at priority 50 then runs at 75. Workers finish the highest-priority
work first and a queued job only wins over a running batch job with a strictly lower
priority number, so smaller jobs queued behind it are started while it runs. The new priority
is written with the job's move to ``processing`` (one write) and shows in Mission Control.
"""

from __future__ import annotations

from typing import Any

import mongoengine as me

from rocketjob.plugins.job.callbacks import before

#: The lowest priority (the largest number) a job can have.
LOWEST_PRIORITY = 100


class LowerPriority:
    """Raises ``priority`` by one per ``lower_priority_count`` records before the batch runs."""

    lower_priority_count = me.IntField(
        default=100_000, min_value=1, user_editable=True, copy_on_restart=True
    )

    priority: Any
    record_count: Any

    @before("batch")
    def rocketjob_lower_priority(self) -> None:
        steps = int(self.record_count or 0) // int(self.lower_priority_count or 100_000)
        if steps:
            self.priority = min(LOWEST_PRIORITY, int(self.priority or 50) + steps)
