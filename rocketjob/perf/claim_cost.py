"""What one claim costs as the queue grows, for each query shape: ``python -m
rocketjob.perf.claim_cost [--jobs 5000 50000] [--claims 200] [--url URL]``.

For each variant of the job claim (``find_one_and_update``: as it was, with ``$eq`` only, and
as the runtime sends it now, with its index and sort from :mod:`rocketjob.queries`) fills a
collection with N queued job documents of one priority and times ``--claims`` claims; then
the batch slice claim, plain and ``$eq``; then the join pre-check (a ``find_one``), as a
flat ``$and`` and as :func:`rocketjob.queries.processing` sends it now. Without ``--url``
it starts an in-memory embedded server (nx-27017), where the shapes differ; on MongoDB they
mean the same. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import MongoClient, ReturnDocument

from rocketjob import queries

CLAIM_SET = {"$set": {"state": "running", "worker_name": "bench:1:0"}}
OLD_INDEX = [("state", 1), ("priority", 1)]
OLD_ORDER = [("priority", 1), ("_id", 1)]


def old_job_filter(now: datetime) -> dict[str, Any]:
    """The claim's filter before rocketjob.queries (plain equality on ``state``)."""
    return {"$and": [{"state": "queued"}, {"$or": [{"run_at": None}, {"run_at": {"$lte": now}}]}]}


#: (label, index, filter, sort): the claim as it was, with $eq only, and as it is now.
VARIANTS = [
    ("before", OLD_INDEX, old_job_filter, OLD_ORDER),
    ("$eq", OLD_INDEX, queries.queued_now, OLD_ORDER),
    ("now", queries.CLAIM_INDEX, queries.queued_now, queries.CLAIM_ORDER),
]


def _fill(collection: Any, count: int, index: list[tuple[str, int]]) -> None:
    collection.drop()
    collection.create_index(index)
    created = datetime.now(UTC)
    for start in range(0, count, 5000):
        batch = min(5000, count - start)
        collection.insert_many(
            [
                {
                    "_id": ObjectId(),
                    "_cls": "Job.NoopJob",
                    "state": "queued",
                    "priority": 50,
                    "created_at": created + timedelta(milliseconds=start + n),
                    "first_record_number": start + n,  # what slices sort on
                }
                for n in range(batch)
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
    """Milliseconds per job claim for each variant, and per slice claim (plain, $eq)."""
    results: dict[str, float] = {}
    for label, index, make_filter, sort in VARIANTS:
        _fill(collection, jobs + claims, index)
        results[label] = _time(
            lambda: collection.find_one_and_update(
                make_filter(datetime.now(UTC)),  # noqa: B023 (called in this iteration)
                CLAIM_SET,
                sort=sort,  # noqa: B023
                return_document=ReturnDocument.AFTER,
            ),
            claims,
        )
    slice_variants = [
        ("slice before", {"state": "queued"}, queries.SLICE_INDEX),
        ("slice now", queries.eq("state", "queued"), queries.SLICE_ORDER),
    ]
    for label, query, slice_sort in slice_variants:
        _fill(collection, jobs + claims, queries.SLICE_INDEX)
        results[label] = _time(
            lambda: collection.find_one_and_update(query, CLAIM_SET, sort=slice_sort),  # noqa: B023
            claims,
        )
    # The join pre-check every busy worker sends once a second: a read, not a claim.
    _fill(collection, jobs, queries.CLAIM_INDEX)
    old_check = {"$and": [queries.eq("state", "running"), queries.eq("sub_state", "processing")]}
    for label, query in [
        ("join check before", old_check),
        ("join check now", queries.processing()),
    ]:
        results[label] = _time(lambda: collection.find_one(query, {"_id": 1}) or True, 20)  # noqa: B023
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
        labels = [v[0] for v in VARIANTS] + ["slice before", "slice now"]
        labels += ["join check before", "join check now"]
        print("| queued | " + " | ".join(f"{label} ms" for label in labels) + " |")
        for jobs in options.jobs:
            r = measure(collection, jobs, options.claims)
            print(f"| {jobs:,} | " + " | ".join(f"{r[label]:.2f}" for label in labels) + " |")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
