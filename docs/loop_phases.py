"""Where a worker's client CPU goes per no-op job, phase by phase, without a profiler.

Runs one worker loop (``Worker._claim`` + ``Worker._execute``, in this thread) over N queued
``SimpleJob``s and the raw-pymongo baseline's own thread function over the same documents,
alternately, ``--runs`` times, on the example project's database (the embedded server unless
``ROCKETJOB_MONGODB_URL`` is set). Each phase is timed with ``time.thread_time`` by wrapping
the function that does it, so a phase's figure includes what it calls (the wrapper itself
costs about 1 us per call); medians are printed. A profiler would inflate the many small
framework calls far more than pymongo's few large ones; this does not.

    PYTHONPATH=. DJANGO_SETTINGS_MODULE=example_project.settings DJANGO_SECRET_KEY=x \\
        .venv/bin/python docs/loop_phases.py --jobs 3000 --runs 5

Not a benchmark (``rocketjob_perf`` is): a probe for docs/performance.md, "Change 5".
"""

from __future__ import annotations

import argparse
import collections
import functools
import statistics
import time
from collections.abc import Callable
from typing import Any

import django

django.setup()

from pymongo.synchronous.collection import Collection  # noqa: E402

from rocketjob.conf import get_settings  # noqa: E402
from rocketjob.job import Job  # noqa: E402
from rocketjob.perf import baseline  # noqa: E402
from rocketjob.perf.jobs import SimpleJob  # noqa: E402
from rocketjob.perf.simple import insert, job_documents  # noqa: E402
from rocketjob.runtime import worker  # noqa: E402
from rocketjob.runtime.claim_filter import ClaimFilter  # noqa: E402

SPENT: collections.Counter[str] = collections.Counter()

#: (owner, attribute, label): the phases timed, outermost first.
PHASES: list[tuple[Any, str, str]] = [
    (Collection, "find_one_and_update", "pymongo find_one_and_update (2 per job)"),
    (worker.Worker, "_claim", "claim, whole"),
    (Job, "rocketjob_load_claimed", "  building the claimed document"),
    (worker.Worker, "_execute", "run and complete, whole"),
    (worker, "close_old_connections", "  Django close_old_connections (2 per job)"),
    (Job, "fire", "  complete transition, whole"),
    (Job, "rocketjob_persist_transition", "    its write (validation, $set, round trip)"),
    (Job, "rocketjob_after_transition", "    signal and metrics"),
    (Job, "rocketjob_run_perform", "  perform with its callbacks"),
]


def _timed(function: Callable[..., Any], label: str) -> Callable[..., Any]:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[label] += time.thread_time() - started

    return timed


def framework_run(count: int, loop: worker.Worker) -> tuple[float, dict[str, float]]:
    collection = SimpleJob._get_collection()
    collection.delete_many({})
    insert(collection, job_documents(count, "loop_phases"))
    SPENT.clear()
    started, done = time.thread_time(), 0
    while (claimed := loop._claim()) is not None:
        loop._execute(claimed)
        done += 1
    total = time.thread_time() - started
    return 1e6 * total / done, {k: 1e6 * v / done for k, v in SPENT.items()}


def baseline_run(count: int, collection: Any) -> tuple[float, dict[str, float]]:
    collection.delete_many({})
    insert(collection, job_documents(count, "loop_phases"))
    SPENT.clear()
    span: list[float] = []
    started = time.thread_time()
    baseline._simple_thread(collection, "raw:0", span)
    done = len(span) // 2
    total = time.thread_time() - started
    return 1e6 * total / done, {k: 1e6 * v / done for k, v in SPENT.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    for owner, name, label in PHASES:
        setattr(owner, name, _timed(getattr(owner, name), label))
    raw = SimpleJob._get_collection().database["rocketjob_loop_phases_baseline"]
    baseline.copy_indexes(SimpleJob._get_collection(), raw)
    loop = worker.Worker("loop-phases", 0, get_settings(), ClaimFilter())
    framework_run(50, loop)  # first-call caches
    runs: dict[str, list[tuple[float, dict[str, float]]]] = {"framework": [], "baseline": []}
    for _ in range(options.runs):
        runs["framework"].append(framework_run(options.jobs, loop))
        runs["baseline"].append(baseline_run(options.jobs, raw))
    raw.drop()
    SimpleJob._get_collection().delete_many({"description": {"$eq": "loop_phases"}})
    for kind, results in runs.items():
        print(f"{kind}: {statistics.median(r[0] for r in results):.0f} us/job (thread CPU)")
        for _owner, _name, label in PHASES:
            values = [r[1].get(label, 0.0) for r in results]
            if any(values):
                print(f"  {statistics.median(values):7.1f} us  {label}")
    ratios = [f[0] / b[0] for f, b in zip(runs["framework"], runs["baseline"], strict=True)]
    print(f"ratio framework / baseline: {statistics.median(ratios):.2f} (runs {ratios})")


if __name__ == "__main__":
    main()
