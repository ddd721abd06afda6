"""In-process workers for batch tests: threads doing what the runtime's worker loop does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rocketjob import Job
from rocketjob.runtime.claim import next_job
from rocketjob.runtime.claim_filter import ClaimFilter


def work_until(
    done: Callable[[], bool], workers: int = 1, server: str = "testhost:1", timeout: float = 60
) -> None:
    """Run ``workers`` threads claiming and working jobs until ``done()`` or the timeout."""
    errors: list[BaseException] = []
    deadline = time.monotonic() + timeout
    stop = threading.Event()

    def loop(index: int) -> None:
        name = f"{server}:{index}"
        claim_filter = ClaimFilter()
        last_reset = time.monotonic()
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                if time.monotonic() - last_reset > 0.5:
                    claim_filter.reset_exclusions()
                    last_reset = time.monotonic()
                claimed = next_job(Job, name, claim_filter)
                if claimed is None:
                    time.sleep(0.02)
                    continue
                claimed.work(name, stop.is_set)
        except BaseException as exc:  # surfaced in the test thread
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    try:
        while not done():
            if errors or time.monotonic() > deadline:
                break
            time.sleep(0.02)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    if errors:
        raise errors[0]
    if not done():
        raise AssertionError(f"batch work not done within {timeout} s")


def job_state(job: Job) -> str:
    job.reload()
    return job.state
