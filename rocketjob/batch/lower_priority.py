"""LowerPriority: a big batch job's priority drops as it runs, so small jobs get through.

::

    class ReconcileJob(LowerPriority, Batch, Job):
        lower_priority_count = 100_000     # default: one step per 100,000 records

Two steps, both capped at 100 (the lowest priority):

* **Start** (as in Ruby Rocket Job): when the job's slices open (``before_batch``), its
  ``priority`` number grows by one per ``lower_priority_count`` records: a job of 2,500,000
  records at priority 50 starts at 75. This is written with the job's move to
  ``processing`` (one write).
* **While it runs**: each time the slices completed reach another ``lower_priority_count``
  records, the number grows by one more: the job above ends at 100 (75 + 25, capped). The
  progress is the end of the completed slice (``first_record_number + records - 1``; slices
  are claimed in record order), so the write is one atomic ``$max`` on ``priority`` issued
  only by the slice that crosses a step, never per record. ``$max`` keeps the number from
  going back when workers finish slices out of order, and keeps an operator's larger number;
  an operator's smaller number is raised again at the next step.

Workers finish the highest-priority work first and a queued job only wins over a running
batch job with a strictly lower priority number, so jobs queued behind it at numbers between
its start and its current value start while it runs (its workers return to the queue every
``re_check_seconds``). The priority shows in Mission Control.
"""

from __future__ import annotations

from typing import Any

import mongoengine as me

from rocketjob.plugins.job.callbacks import after, before

#: The lowest priority (the largest number) a job can have.
LOWEST_PRIORITY = 100


class LowerPriority:
    """Raises ``priority`` by one per ``lower_priority_count`` records: at start and as
    slices complete."""

    lower_priority_count = me.IntField(
        default=100_000, min_value=1, user_editable=True, copy_on_restart=True
    )
    #: The priority the job started its slices at (after the start step), the base of the
    #: steps taken while it runs.
    lower_priority_start = me.IntField()

    priority: Any
    record_count: Any
    rocketjob_slice: Any
    pk: Any

    def _lower_priority_step(self) -> int:
        return int(self.lower_priority_count or 100_000)

    @before("batch")
    def rocketjob_lower_priority(self) -> None:
        steps = int(self.record_count or 0) // self._lower_priority_step()
        self.priority = min(LOWEST_PRIORITY, int(self.priority or 50) + steps)
        self.lower_priority_start = self.priority

    @after("slice")
    def rocketjob_lower_priority_progress(self) -> None:
        """One ``$max`` when this slice's last record crosses a step; nothing otherwise."""
        slice_ = self.rocketjob_slice
        if slice_ is None or self.lower_priority_start is None:
            return
        step = self._lower_priority_step()
        before_slice = slice_.first_record_number - 1
        reached = before_slice + len(slice_.records)
        if reached // step == before_slice // step:
            return
        target = min(LOWEST_PRIORITY, int(self.lower_priority_start) + reached // step)
        self._get_collection().update_one(  # type: ignore[attr-defined]
            {"_id": {"$eq": self.pk}, "state": {"$eq": "running"}},
            {"$max": {"priority": target}},
        )
