"""Rate limits on the real server: the atomic window counter, the claim, the exclusion."""

from __future__ import annotations

import threading
import time

import pytest

from rocketjob import ClaimFilter, Job
from rocketjob.connection import jobs_db
from rocketjob.exceptions import ConfigurationError
from rocketjob.plugins.job.rate_limit import RATE_LIMITS_COLLECTION, take_start
from rocketjob.runtime.claim import next_job
from tests.jobsapp.jobs import NoopJob
from tests.jobsapp.runtime_jobs import RateLimitedJob


def _window_counts() -> list[dict]:
    return list(jobs_db()[RATE_LIMITS_COLLECTION].find({}, {"count": 1}))


def test_threads_racing_for_a_window_take_exactly_the_limit() -> None:
    collection = jobs_db()[RATE_LIMITS_COLLECTION]
    start = threading.Barrier(8)
    taken: list[bool] = []

    def take() -> None:
        start.wait()
        for _ in range(3):
            taken.append(take_start(collection, "RaceJob|0", 5, time.time() + 60))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken).count(True) == 5
    assert len(taken) == 24
    assert collection.find_one({"_id": "RaceJob|0"})["count"] == 5


def test_a_job_over_the_limit_is_released_and_its_class_skipped_until_the_window_ends() -> None:
    # Stay clear of a window boundary, so all six claims fall in one window.
    while time.time() % 2.0 > 1.0:
        time.sleep(0.05)
    jobs = [RateLimitedJob.create() for _ in range(6)]
    other = NoopJob.create(priority=60)  # after the rate-limited ones
    claim_filter = ClaimFilter()
    started = [next_job(Job, "host:1:0", claim_filter) for _ in range(5)]
    assert {type(c.job) for c in started if c} == {RateLimitedJob}
    assert len({c.job.pk for c in started if c}) == 5
    sixth = next_job(Job, "host:1:0", claim_filter)
    assert sixth is not None and sixth.job.pk == other.pk  # the sixth was put back
    released = RateLimitedJob.objects.get(pk=jobs[5].pk)
    assert (released.state, released.throttled_by) == ("queued", "rate_limit")
    assert released.worker_name is None and released.started_at is None
    assert claim_filter.excluded["_cls"] == {RateLimitedJob._class_name}
    # The exclusion ends with the window (at most 2 s from now), not after re_check_seconds.
    assert claim_filter.reset_due - time.monotonic() <= 2.0
    assert [w["count"] for w in _window_counts()] == [5]


@pytest.mark.parametrize("bad", [(0, 60), (5, 0), ("x", 1), (5,)])
def test_an_invalid_rate_limit_is_refused_clearly(bad) -> None:  # type: ignore[no-untyped-def]
    class BadRateJob(Job):
        rate_limit = bad

        def perform(self) -> None:
            return None

    job = BadRateJob.create()
    job.started_at = job.created_at
    with pytest.raises(ConfigurationError, match="rate_limit"):
        job.rocketjob_rate_limit_exceeded()


def test_windows_expire_by_ttl_index() -> None:
    from rocketjob.plugins.job.rate_limit import windows_collection

    windows_collection(jobs_db())
    # Found by key: the embedded server ignores index names (docs/embedded-server.md).
    indexes = list(jobs_db()[RATE_LIMITS_COLLECTION].list_indexes())
    ttl = [i for i in indexes if dict(i["key"]) == {"expires_at": 1}]
    assert [i["expireAfterSeconds"] for i in ttl] == [0]


def test_each_window_has_its_own_count() -> None:
    while time.time() % 2.0 > 1.0:
        time.sleep(0.05)
    for _ in range(10):
        RateLimitedJob.create()
    claim_filter = ClaimFilter()
    first = [next_job(Job, "host:1:0", claim_filter) for _ in range(6)]
    assert sum(1 for c in first if c is not None) == 5
    time.sleep(claim_filter.reset_due - time.monotonic() + 0.05)  # the next window
    claim_filter.reset_exclusions()
    second = [next_job(Job, "host:1:0", claim_filter) for _ in range(5)]
    assert all(c is not None for c in second)
    assert sorted(w["count"] for w in _window_counts()) == [5, 5]
