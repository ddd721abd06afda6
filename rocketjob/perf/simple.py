"""``rocketjob_perf``: N no-op jobs through the workers, then the raw-pymongo baseline."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from bson import ObjectId

from rocketjob import queries
from rocketjob.conf import get_settings
from rocketjob.connection import database_name_of, jobs_db, resolve_urls
from rocketjob.perf import baseline
from rocketjob.perf.cpu import CpuFigures, cpu_report, cpu_windows, local_server_pid
from rocketjob.perf.jobs import SimpleJob
from rocketjob.perf.measure import Report, wait_with_progress
from rocketjob.perf.servers import BenchmarkError, pause_all, resume_all, worker_servers

INSERT_BATCH = 1000


def job_documents(count: int, description: str) -> list[Any]:
    """The jobs to enqueue: the first at priority 1, the last at 100, the rest default."""
    documents = []
    for index in range(count):
        priority = 1 if index == 0 else 100 if index == count - 1 else 50
        job = SimpleJob.build(priority=priority, description=description)
        document = job.to_mongo()
        if "_id" not in document:
            document["_id"] = ObjectId()
        documents.append(document)
    return documents


def completed_documents(count: int, description: str) -> list[Any]:
    """``count`` completed jobs, for ``--keep-completed``: what a collection of jobs kept
    after completion (``destroy_on_complete = False``) holds besides the queue."""
    job = SimpleJob.build(description=description)
    job.state = "completed"
    job.started_at = job.completed_at = job.created_at
    template = job.to_mongo().to_dict()
    return [{**template, "_id": ObjectId()} for _ in range(count)]


def insert(collection: Any, documents: list[Any]) -> None:
    for start in range(0, len(documents), INSERT_BATCH):
        collection.insert_many(documents[start : start + INSERT_BATCH], ordered=False)


def run_framework(
    count: int,
    processes: int,
    workers: int,
    log: Callable[[str], None],
    progress: bool,
    cpu: CpuFigures | None = None,
    keep_completed: int = 0,
) -> tuple[float, tuple[bool, int, int], int]:
    """Seconds from the first job's start to the last one's completion, the servers' shape
    (started here, processes, workers) and how many documents the jobs collection held when
    the workers resumed (``keep_completed`` completed jobs are inserted first, raw). With
    ``cpu``, fills in the CPU seconds of the worker processes and of the database server
    over the run."""
    tag = f"rocketjob_perf {uuid.uuid4().hex}"
    kept_tag = f"{tag} kept"
    collection = SimpleJob._get_collection()
    with worker_servers(processes, workers, log) as shape:
        pause_all()
        try:
            if keep_completed:
                log(f"inserting {keep_completed} completed jobs")
                insert(collection, completed_documents(keep_completed, kept_tag))
            insert(collection, job_documents(count, tag))
            size = queries.count(collection, {})
            windows = cpu_windows() if cpu is not None else None
            resume_all()
            wait_with_progress(
                lambda: (
                    not _any(collection, tag, "queued") and not _any(collection, tag, "running")
                ),
                lambda: queries.count(collection, _in_state(tag, "completed")),
                count,
                "jobs",
                progress,
                lambda: _failure(collection, tag),
                timeout=max(600.0, count / 10),
            )
            if windows is not None and cpu is not None:
                cpu.client, cpu.server = windows[0].stop(), windows[1].stop()
            times = SimpleJob.objects(description=tag).only("started_at", "completed_at")
            spans = [(job.started_at, job.completed_at) for job in times]
            if len(spans) != count or any(end is None for _, end in spans):
                raise BenchmarkError(
                    f"{count} jobs enqueued, {len(spans)} found, not all completed"
                )
            first = min(start for start, _ in spans)
            last = max(end for _, end in spans)
        finally:
            collection.delete_many({"description": tag})
            if keep_completed:
                collection.delete_many({"description": kept_tag})
    return max((last - first).total_seconds(), 1e-9), shape, size


def _in_state(tag: str, state: str) -> dict[str, Any]:
    """This run's jobs in ``state``: read through the claim index (``rocketjob.queries``)."""
    return queries.fields(queries.eq("state", state), queries.eq("description", tag))


def _any(collection: Any, tag: str, state: str) -> bool:
    return collection.find_one(_in_state(tag, state), {"_id": 1}) is not None


def _failure(collection: Any, tag: str) -> str | None:
    failed = collection.find_one(_in_state(tag, "failed"), {"_id": 1, "exception": 1})
    if failed is not None:
        return f"job {failed['_id']} failed: {failed.get('exception')}"
    return None


def run_baseline(
    count: int, processes: int, workers: int, cpu: bool = False, keep_completed: int = 0
) -> baseline.Span:
    url, _ = resolve_urls(get_settings())
    database = database_name_of(url, jobs_db().name)
    target = baseline.Target(url, database, baseline.SIMPLE_COLLECTION)
    description = "rocketjob_perf baseline"
    documents = job_documents(count, description)
    kept = completed_documents(keep_completed, f"{description} kept")
    server_pid = local_server_pid(url) if cpu else None
    indexes_of = SimpleJob._get_collection()
    span = baseline.run_simple(
        target, documents, processes, workers, indexes_of, server_pid, kept=kept
    )
    if span.done != count:
        raise BenchmarkError(f"baseline completed {span.done} of {count} jobs")
    return span


def run(
    count: int,
    processes: int,
    workers: int,
    log: Callable[[str], None],
    progress: bool,
    with_baseline: bool = True,
    cpu: bool = False,
    keep_completed: int = 0,
) -> Report:
    framework_cpu = CpuFigures() if cpu else None
    duration, (started, processes, workers), size = run_framework(
        count, processes, workers, log, progress, framework_cpu, keep_completed
    )
    options: dict[str, Any] = {"servers_started": started}
    if keep_completed:
        options.update(keep_completed=keep_completed, collection_documents=size)
    report = Report(
        command="rocketjob_perf",
        unit="jobs",
        count=count,
        workers=workers,
        processes=processes,
        duration_seconds=duration,
        rate=count / duration,
        options=options,
    )
    if with_baseline:
        log("running the raw-pymongo baseline")
        span = run_baseline(count, processes, workers, cpu, keep_completed)
        report.baseline_duration_seconds = span.seconds
        report.baseline_rate = count / span.seconds
    if framework_cpu is not None:
        base = CpuFigures(span.client_cpu, span.server_cpu) if with_baseline else None
        report.cpu = cpu_report("jobs", count, framework_cpu, base)
    return report
