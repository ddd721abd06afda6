"""Progress of a batch job: ``statistics_inc`` counters, ``percent_complete`` and ``status``.

Counters incremented in ``perform`` are kept in memory and written with one ``$inc`` after
each slice, so counting costs nothing per record.
"""

from __future__ import annotations

from typing import Any

from rocketjob import queries
from rocketjob.plugins.job.model import as_utc, utc_now


class BatchStatistics:
    pk: Any
    state: str
    sub_state: Any
    record_count: Any
    slice_count: Any
    percent_complete: Any
    started_at: Any

    _rocketjob_pending_stats: dict[str, int | float] | None = None

    def statistics_inc(self, key: str | dict[str, int | float], increment: int | float = 1) -> None:
        """Add ``increment`` to counter ``key`` (dots nest: ``"rows.skipped"``)."""
        pending = self._rocketjob_pending_stats
        if pending is None:
            pending = self._rocketjob_pending_stats = {}
        items = key.items() if isinstance(key, dict) else [(key, increment)]
        for name, value in items:
            pending[name] = pending.get(name, 0) + value

    def rocketjob_flush_statistics(self) -> None:
        pending = self._rocketjob_pending_stats
        if not pending or self.pk is None:
            return
        self._rocketjob_pending_stats = None
        update = {f"statistics.{name}": value for name, value in pending.items()}
        self._get_collection().update_one({"_id": self.pk}, {"$inc": update})  # type: ignore[attr-defined]

    def rocketjob_completed_slices(self, remaining: int | None = None) -> int:
        if remaining is None:
            remaining = self.input().count()  # type: ignore[attr-defined]
        return max(0, int(self.slice_count or 0) - remaining)

    def batch_percent_complete(self) -> int:
        """Percent of the uploaded slices that are done (0 while nothing was uploaded)."""
        if self.state == "completed":
            return 100
        total = int(self.slice_count or 0)
        if not total or self.record_count is None:
            return 0
        return min(99, int(100 * self.rocketjob_completed_slices() / total))

    def rocketjob_update_percent_complete(self) -> None:
        percent = self.batch_percent_complete()
        if percent != self.percent_complete:
            self.percent_complete = percent
            self._get_collection().update_one(  # type: ignore[attr-defined]
                queries.matching(self.pk, {"state": "running"}),
                {"$set": {"percent_complete": percent}},
            )
            self._clear_changed_fields()  # type: ignore[attr-defined]

    def status(self) -> dict[str, Any]:
        """The job's status plus slice counts, records per second and time left."""
        data: dict[str, Any] = super().status()  # type: ignore[misc]
        data["sub_state"] = self.sub_state
        data["record_count"] = self.record_count
        if self.pk is None or self.state in ("completed", "aborted"):
            return data
        counts = self.input().counts_by_state()  # type: ignore[attr-defined]
        remaining = counts["queued"] + counts["running"] + counts["failed"]
        completed = self.rocketjob_completed_slices(remaining)
        data["slices"] = {
            "queued": counts["queued"],
            "active": counts["running"],
            "failed": counts["failed"],
            "completed": completed,
            "total": int(self.slice_count or 0),
        }
        data["percent_complete"] = self.batch_percent_complete()
        data.update(self.rocketjob_rates(completed))
        return data

    def rocketjob_rates(self, completed_slices: int) -> dict[str, float | None]:
        total = int(self.slice_count or 0)
        started = as_utc(self.started_at)
        if not total or not self.record_count or started is None:
            return {"records_per_second": None, "estimated_seconds_left": None}
        seconds = max((utc_now() - started).total_seconds(), 0.001)
        done_records = self.record_count * completed_slices / total
        rate = done_records / seconds
        left = (self.record_count - done_records) / rate if rate > 0 else None
        return {
            "records_per_second": round(rate, 1),
            "estimated_seconds_left": None if left is None else round(left, 1),
        }
