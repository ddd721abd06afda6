"""Raw-pymongo baselines: the framework's database operations with no framework around them.

Each baseline runs ``processes`` spawned processes of ``workers`` threads, like
``manage.py rocketjob --processes P --workers W``, against the same server and database as
the framework run, on a collection of its own, with the same query shapes
(``rocketjob.queries``):

* simple jobs: the same job documents are bulk-inserted; each thread loops over the claim the
  framework sends (one flat ``$and`` over ``state=queued`` and ``run_at``, sorted by
  ``(priority, created_at)``, setting state/worker_name/started_at and unsetting the throttle
  fields, returning the document) and the completion (``find_one_and_update`` guarded by
  ``state=running`` and ``worker_name``), until the claim finds nothing.
* batch: slices of ``slice_size`` records stored with the same serializer; each thread claims
  a slice (``find_one_and_update`` sorted by ``first_record_number``), calls an echo
  function per record, upserts the output slice and deletes the input slice.

The clock runs from the first claim to the last completion, like the framework's figure
(first ``started_at`` to last ``completed_at``), so process start-up is excluded from both.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import MongoClient, ReturnDocument

from rocketjob import queries
from rocketjob.perf.cpu import CpuWindow

SIMPLE_COLLECTION = "rocketjob_perf_baseline_jobs"
INPUT_COLLECTION = "rocketjob_perf_baseline_input"
OUTPUT_COLLECTION = "rocketjob_perf_baseline_output"
INDEX_OPTIONS = ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds")


@dataclass(frozen=True)
class Target:
    """Where a baseline runs: server URL, database and collection."""

    url: str
    database: str
    collection: str


@dataclass
class Span:
    """First claim and last completion (``time.time()``) and how many units were done."""

    first: float
    last: float
    done: int
    #: CPU seconds of the baseline processes and of the database server (``--cpu``; None
    #: when not measured: see rocketjob.perf.cpu).
    client_cpu: float | None = None
    server_cpu: float | None = None

    @property
    def seconds(self) -> float:
        return max(self.last - self.first, 1e-9)


def _client(url: str) -> MongoClient[dict[str, Any]]:
    return MongoClient(url, tz_aware=True, uuidRepresentation="standard")


# -- simple jobs ----------------------------------------------------------------------------
def _simple_thread(collection: Any, name: str, span: list[float]) -> None:
    claim_update = {"$unset": {"throttled_by": "", "throttled_at": ""}}
    while True:
        before = time.time()
        now = datetime.now(UTC)
        update = {"$set": {"state": "running", "worker_name": name, "started_at": now}}
        raw = collection.find_one_and_update(
            queries.queued_now(now),
            {**update, **claim_update},
            sort=queries.CLAIM_ORDER,
            return_document=ReturnDocument.AFTER,
        )
        if raw is None:
            return
        collection.find_one_and_update(
            queries.owned_by(raw["_id"], name),
            {"$set": {"state": "completed", "completed_at": datetime.now(UTC)}},
            projection={"state": 1},
            return_document=ReturnDocument.AFTER,
        )
        span.append(before)
        span.append(time.time())


def _simple_process(target: Target, workers: int, index: int, go: Any, results: Any) -> None:
    collection = _client(target.url)[target.database][target.collection]
    collection.find_one({})  # connect before the clock starts
    results.put(("ready", index))
    go.wait()
    _run_threads(lambda name, span: _simple_thread(collection, name, span), workers, index, results)


# -- batch ----------------------------------------------------------------------------------
def _echo(record: Any) -> Any:
    return record


def _batch_thread(input_: Any, output: Any, serializer: Any, name: str, span: list[float]) -> None:
    while True:
        before = time.time()
        raw = input_.find_one_and_update(
            queries.eq("state", "queued"),
            {
                "$set": {
                    "state": "running",
                    "worker_name": name,
                    "started_at": datetime.now(UTC),
                }
            },
            sort=queries.SLICE_ORDER,
            return_document=ReturnDocument.AFTER,
        )
        if raw is None:
            return
        records = serializer.load(raw["records"])
        results = [_echo(record) for record in records]
        output.update_one(
            queries.by_id(raw["_id"]),
            {
                "$set": {
                    "first_record_number": raw["_id"],
                    "record_count": len(results),
                    "records": serializer.dump(results),
                }
            },
            upsert=True,
        )
        input_.delete_one(queries.by_id(raw["_id"]))
        span.append(before)
        span.append(time.time())
        span.append(float(len(records)))


def _batch_process(
    target: Target, serializer: Any, workers: int, index: int, go: Any, results: Any
) -> None:
    database = _client(target.url)[target.database]
    input_, output = database[INPUT_COLLECTION], database[OUTPUT_COLLECTION]
    input_.find_one({})
    results.put(("ready", index))
    go.wait()
    _run_threads(
        lambda name, span: _batch_thread(input_, output, serializer, name, span),
        workers,
        index,
        results,
    )


# -- shared ---------------------------------------------------------------------------------
def _run_threads(body: Any, workers: int, index: int, results: Any) -> None:
    """Run the threads; report their timestamps and this process's CPU time meanwhile."""
    cpu_started = time.process_time()
    spans: list[list[float]] = [[] for _ in range(workers)]
    threads = [
        threading.Thread(target=body, args=(f"baseline-{index}:{n}", spans[n]))
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(("done", index, spans, time.process_time() - cpu_started))


@dataclass
class _Runs:
    spans: list[list[float]]
    client_cpu: float
    server_cpu: float | None


def _run_processes(
    target_fn: Any, args: tuple[Any, ...], processes: int, server_pid: int | None = None
) -> _Runs:
    """Start the processes, release them together, and return every thread's timestamps,
    the processes' CPU time and the CPU time of the server process ``server_pid`` meanwhile."""
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    results = context.Queue()
    children = [
        context.Process(target=target_fn, args=(*args, index, go, results), daemon=True)
        for index in range(processes)
    ]
    for child in children:
        child.start()
    try:
        for _ in children:
            _expect(results.get(timeout=120), "ready")
        server = CpuWindow([server_pid] if server_pid else [])
        server.start()
        go.set()
        runs = _Runs([], 0.0, None)
        for _ in children:
            message = _expect(results.get(timeout=3600), "done")
            runs.spans.extend(message[2])
            runs.client_cpu += message[3]
        runs.server_cpu = server.stop()
        for child in children:
            child.join(60)
        return runs
    finally:
        for child in children:
            if child.is_alive():
                child.kill()


def _expect(message: Any, kind: str) -> Any:
    if message[0] != kind:
        raise RuntimeError(f"baseline process sent {message!r}, expected {kind!r}")
    return message


def copy_indexes(source: Any, collection: Any) -> None:
    """Give ``collection`` the indexes of ``source``: every write maintains the same ones."""
    for name, info in source.index_information().items():
        if name == "_id_":
            continue
        options = {key: info[key] for key in INDEX_OPTIONS if key in info}
        collection.create_index(list(info["key"]), name=name, **options)


def run_simple(
    target: Target,
    documents: list[Any],
    processes: int,
    workers: int,
    indexes_of: Any,
    server_pid: int | None = None,
    kept: list[Any] | None = None,
) -> Span:
    """Insert ``documents`` (job documents) into a collection with the indexes of
    ``indexes_of`` (the jobs collection) and process them; returns the timed span. ``kept``
    (completed job documents) are inserted first, as the framework run's were."""
    collection = _client(target.url)[target.database][target.collection]
    collection.drop()
    copy_indexes(indexes_of, collection)
    kept = kept or []
    for batch in (kept, documents):
        for start in range(0, len(batch), 1000):
            collection.insert_many(batch[start : start + 1000], ordered=False)
    try:
        runs = _run_processes(_simple_process, (target, workers), processes, server_pid)
        done = queries.count(collection, queries.eq("state", "completed")) - len(kept)
    finally:
        collection.drop()
    return _span(runs, done, stride=2)


def run_batch(
    target: Target,
    slices: list[Any],
    serializer: Any,
    processes: int,
    workers: int,
    server_pid: int | None = None,
) -> Span:
    """Insert encoded input ``slices`` and process them; ``done`` counts records output."""
    database = _client(target.url)[target.database]
    input_, output = database[INPUT_COLLECTION], database[OUTPUT_COLLECTION]
    input_.drop()
    output.drop()
    input_.create_index(queries.SLICE_INDEX, name="rocketjob_slice_claim")
    output.create_index([("first_record_number", 1)], name="rocketjob_order")
    for start in range(0, len(slices), 20):
        input_.insert_many(slices[start : start + 20], ordered=True)
    try:
        runs = _run_processes(_batch_process, (target, serializer, workers), processes, server_pid)
        left = queries.count(input_, {})
        if left:
            raise RuntimeError(f"baseline left {left} input slices unprocessed")
    finally:
        input_.drop()
        output.drop()
    span = _span(runs, 0, stride=3)
    span.done = int(sum(sum(s[2::3]) for s in runs.spans))
    return span


def _span(runs: _Runs, done: int, stride: int) -> Span:
    starts = [s[i] for s in runs.spans for i in range(0, len(s), stride)]
    ends = [s[i + 1] for s in runs.spans for i in range(0, len(s), stride)]
    if not starts:
        raise RuntimeError("the baseline processed nothing")
    return Span(min(starts), max(ends), done, runs.client_cpu, runs.server_cpu)
