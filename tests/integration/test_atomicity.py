"""Concurrent processes cannot both apply a transition, and claims are never shared."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from rocketjob import StateConflictError
from tests.claiming import claimed_job
from tests.jobsapp.foundation_jobs import KeptJob

THREADS = 8


def race(target, count: int = THREADS) -> list:  # type: ignore[no-untyped-def]
    """Run ``target(index)`` in ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = target(index)
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.parametrize("event", ["start", "abort", "pause", "fail"])
def test_exactly_one_thread_applies_a_transition(event: str) -> None:
    job = KeptJob.create()
    copies = [KeptJob.objects.get(pk=job.pk) for _ in range(THREADS)]

    def apply(index: int) -> str:
        copies[index].fire(event, **({"worker_name": f"w:{index}"} if event == "start" else {}))
        return "won"

    results = race(apply)
    assert results.count("won") == 1
    losers = [r for r in results if r != "won"]
    assert all(isinstance(r, StateConflictError) for r in losers), losers
    # Losers were reloaded: their copies show the winner's state.
    assert {c.state for c in copies} == {KeptJob.objects.get(pk=job.pk).state}


def test_racing_claims_never_hand_out_a_job_twice() -> None:
    jobs = {KeptJob.create().pk for _ in range(40)}

    def claim_all(index: int) -> list:
        mine = []
        while (job := claimed_job(KeptJob, f"w:1:{index}")) is not None:
            mine.append(job.pk)
        return mine

    results = race(claim_all)
    claimed = [pk for result in results for pk in result]
    assert Counter(claimed).most_common(1)[0][1] == 1
    assert set(claimed) == jobs
    assert KeptJob.objects(state="running").count() == len(jobs)


def test_complete_and_abort_race_leaves_one_consistent_outcome() -> None:
    for _ in range(10):
        job = KeptJob.create()
        job.start(worker_name="w:1:0")
        worker_copy = KeptJob.objects.get(pk=job.pk)
        ui_copy = KeptJob.objects.get(pk=job.pk)

        def complete_or_abort(index: int, worker=worker_copy, ui=ui_copy) -> None:  # type: ignore[no-untyped-def]
            return worker.complete() if index == 0 else ui.abort()

        results = race(complete_or_abort, 2)
        outcome = KeptJob.objects.get(pk=job.pk).state
        assert outcome in ("completed", "aborted")
        assert sum(r is None for r in results) == 1
