"""Batch throttles with real worker processes: ThrottleWindows hold a running batch job's
slices until a window opens, a job throttle keeps workers from joining, and LowerPriority
lets a small job through while a big one runs."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.batch_jobs import BigBatchJob, GatedBatchJob, WindowedBatchJob
from tests.jobsapp.jobs import NoopJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

CLOSED = {"primary_schedule": "0 0 1 1 *", "primary_duration": 60}
OPEN = {"primary_schedule": "* * * * *", "primary_duration": 3600}


def _env(rocketjob_db: TestDatabase) -> dict[str, str]:
    return {**rocketjob_db.subprocess_env(), "ROCKETJOB_RE_CHECK_SECONDS": "1"}


def test_windows_and_join_throttles_hold_slices_until_they_open(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    windowed = WindowedBatchJob.create_from_upload([str(i) for i in range(20)], **CLOSED)
    with workers(["--workers", "3", "--name", "bt"], _env(rocketjob_db), tmp_path / "w.log") as p:
        wait_for(lambda: WindowedBatchJob.objects.get(pk=windowed.pk).sub_state == "processing")
        time.sleep(3)  # several re-checks: still no slice taken
        windowed.reload()
        assert windowed.throttled_by == "throttle_windows_closed"
        assert windowed.input().count_in(("queued",)) == 4
        windowed.set_fields(**OPEN)
        wait_for(lambda: WindowedBatchJob.objects.get(pk=windowed.pk).state == "completed", 60)

        gated = GatedBatchJob.create_from_upload([str(i) for i in range(20)], api_down=True)
        wait_for(lambda: GatedBatchJob.objects.get(pk=gated.pk).throttled_by == "api_is_down")
        time.sleep(2)  # workers keep claiming it and putting it back (re-check: 1 s)
        held = GatedBatchJob.objects.get(pk=gated.pk)
        assert held.sub_state != "processing"  # held at claim: before_batch never ran
        assert held.input().count_in(("queued",)) == 4
        gated.set_fields(api_down=False)
        wait_for(lambda: GatedBatchJob.objects.get(pk=gated.pk).state == "completed", 60)
        p.signal(signal.SIGTERM)
        assert p.wait() == 0


def test_lower_priority_lets_a_small_job_through_a_big_one(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    big = BigBatchJob.create_from_upload([str(i) for i in range(60)], sleep_seconds=0.2)
    with workers(["--workers", "1", "--name", "lp"], _env(rocketjob_db), tmp_path / "w.log") as p:
        wait_for(lambda: BigBatchJob.objects.get(pk=big.pk).sub_state == "processing")
        assert BigBatchJob.objects.get(pk=big.pk).priority == 56  # 50 + 60 // 10
        small = NoopJob.create(priority=53)  # would wait for the big job at priority 50
        wait_for(lambda: NoopJob.objects.get(pk=small.pk).state == "completed", 30)
        assert BigBatchJob.objects.get(pk=big.pk).state == "running"  # it was still going
        p.signal(signal.SIGTERM)
        assert p.wait() == 0
