"""What one claim costs as the queue grows, for each query shape: ``python -m
rocketjob.perf.claim_cost [--jobs 5000 50000] [--claims 200] [--url URL]``.

Fills a collection with the jobs collection's claim index and N queued job documents, then
times ``--claims`` claims (``find_one_and_update`` sorted by priority, as the runtime sends
it) with the filter written the old way (plain equalities) and with
:func:`rocketjob.queries.queued_now` (``$eq``), interleaved, and the same for the batch
slice claim. Without ``--url`` it starts an in-memory embedded server (nx-27017), where the
shapes differ; on MongoDB they cost the same. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import MongoClient, ReturnDocument

from rocketjob import queries

CLAIM_SET = {"$set": {"state": "running", "worker_name": "bench:1:0"}}


def old_job_filter(now: datetime) -> dict[str, Any]:
    """The claim's filter before rocketjob.queries (plain equality on ``state``)."""
    return {"$and": [{"state": "queued"}, {"$or": [{"run_at": None}, {"run_at": {"$lte": now}}]}]}


def _fill(collection: Any, count: int) -> None:
    collection.drop()
    collection.create_index([("state", 1), ("priority", 1)], name="rocketjob_claim")
    for start in range(0, count, 5000):
        batch = min(5000, count - start)
        collection.insert_many(
            [
                {"_id": ObjectId(), "_cls": "Job.NoopJob", "state": "queued", "priority": 50}
                for _ in range(batch)
            ],
            ordered=False,
        )


def _time(claim: Callable[[], Any], claims: int) -> float:
    """Milliseconds per call of ``claim`` (each claims one queued document)."""
    started = time.perf_counter()
    for _ in range(claims):
        if claim() is None:
            raise RuntimeError("ran out of queued documents")
    return (time.perf_counter() - started) * 1000 / claims


def measure(collection: Any, jobs: int, claims: int) -> dict[str, float]:
    _fill(collection, jobs + 2 * claims)
    sort = queries.CLAIM_ORDER

    def claim_with(make_filter: Callable[[datetime], dict[str, Any]]) -> Callable[[], Any]:
        return lambda: collection.find_one_and_update(
            make_filter(datetime.now(UTC)),
            CLAIM_SET,
            sort=sort,
            return_document=ReturnDocument.AFTER,
        )

    old, new = claim_with(old_job_filter), claim_with(queries.queued_now)
    results = {"old": 0.0, "queries": 0.0}
    for _ in range(2):  # interleaved halves: load on the machine hits both alike
        results["old"] += _time(old, claims // 2) / 2
        results["queries"] += _time(new, claims // 2) / 2
    _fill(collection, jobs + 2 * claims)  # as slices: same shape, sorted by the index
    slice_sort = [("state", 1), ("priority", 1)]
    plain = lambda: collection.find_one_and_update(  # noqa: E731
        {"state": "queued"}, CLAIM_SET, sort=slice_sort
    )
    eq = lambda: collection.find_one_and_update(  # noqa: E731
        queries.eq("state", "queued"), CLAIM_SET, sort=slice_sort
    )
    results["slice old"] = _time(plain, claims // 2)
    results["slice queries"] = _time(eq, claims // 2)
    collection.drop()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--url", default="")
    options = parser.parse_args(argv)
    server = None
    url = options.url
    if not url:
        from rocketjob.embedded import EmbeddedServer

        server = EmbeddedServer(data="memory", work_dir=tempfile.mkdtemp()).start()
        url = server.url
    try:
        collection: Any = MongoClient(url)["rocketjob_claim_cost"]["jobs"]
        print("queued jobs | ms/claim old | ms/claim queries | slice old | slice queries")
        for jobs in options.jobs:
            r = measure(collection, jobs, options.claims)
            print(
                f"{jobs:>11,} | {r['old']:>12.2f} | {r['queries']:>16.2f} "
                f"| {r['slice old']:>9.2f} | {r['slice queries']:>13.2f}"
            )
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
