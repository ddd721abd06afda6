"""Rate limit race: several ``manage.py rocketjob`` processes with several workers each never
start more jobs of a class per window than its ``rate_limit`` allows."""

from __future__ import annotations

import math
import signal
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from tests.acceptance.workers_support import workers
from tests.helpers import wait_for
from tests.jobsapp.runtime_jobs import RateLimitedJob

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

PROCESSES = 3
WORKERS = 4
JOBS = 40


def test_processes_and_workers_never_exceed_the_rate_limit(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    limit, window = RateLimitedJob.rate_limit  # 5 starts per 2 s
    jobs = [RateLimitedJob.create() for _ in range(JOBS)]
    env = {**rocketjob_db.subprocess_env(), "ROCKETJOB_MAX_POLL_SECONDS": "0.5"}
    servers = []
    try:
        for index in range(PROCESSES):
            args = ["--workers", str(WORKERS), "--name", f"rl{index}"]
            servers.append(workers(args, env, tmp_path / f"rl{index}.log"))
        running = [server.__enter__() for server in servers]
        wait_for(lambda: RateLimitedJob.objects(state="completed").count() == JOBS, 120)
        for process in running:
            process.signal(signal.SIGTERM)
        for process in running:
            assert process.wait() == 0
    finally:
        for server in servers:
            server.__exit__(None, None, None)
    started = [RateLimitedJob.objects.get(pk=job.pk).started_at for job in jobs]
    per_window = Counter(math.floor(at.timestamp() / window) for at in started)
    workers_used = {RateLimitedJob.objects.get(pk=job.pk).worker_name for job in jobs}
    print(
        f"rate limit {limit}/{window}s, {PROCESSES} processes x {WORKERS} workers, {JOBS} jobs: "
        f"max starts per window {max(per_window.values())}, windows {len(per_window)}, "
        f"workers used {len(workers_used)}"
    )
    assert max(per_window.values()) <= limit
    # It did run at the limit, not trivially below it: most windows were full.
    assert sum(1 for n in per_window.values() if n == limit) >= JOBS // limit - 2
    assert len({name.split(":")[0] for name in workers_used}) >= 2  # several processes started jobs
