"""``rocketjob_batch_perf``: one echo batch job of N integers, then the baseline.

The upload is not timed: the job is uploaded while the servers are paused, and the rate is
records / (``completed_at`` - ``started_at``) of the job.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from rocketjob.conf import get_settings
from rocketjob.connection import database_name_of, resolve_urls, slices_db
from rocketjob.perf import baseline
from rocketjob.perf.cpu import CpuFigures, cpu_report, cpu_windows, local_server_pid
from rocketjob.perf.jobs import performance_job_class
from rocketjob.perf.measure import Report
from rocketjob.perf.servers import BenchmarkError, pause_all, resume_all, worker_servers
from rocketjob.sliced.serializers import EncryptSerializer, Serializer, get_serializer
from rocketjob.sliced.slices import Slices


@dataclass(frozen=True)
class BatchWork:
    """What is processed: ``count`` integers in slices of ``slice_size``, stored as chosen."""

    count: int
    slice_size: int
    compress: bool
    encrypt: bool


def run_framework(
    work: BatchWork,
    processes: int,
    workers: int,
    log: Callable[[str], None],
    progress: bool,
    cpu: CpuFigures | None = None,
) -> tuple[float, tuple[bool, int, int]]:
    count = work.count
    job_class = performance_job_class(work.compress, work.encrypt)
    with worker_servers(processes, workers, log) as shape:
        pause_all()
        job = job_class.build(description=f"rocketjob_batch_perf {uuid.uuid4().hex}")
        log(f"uploading {count} records in slices of {work.slice_size}")
        job.upload(iter(range(count)), slice_size=work.slice_size)
        job.save(force_insert=True)
        windows = cpu_windows() if cpu is not None else None
        resume_all()
        try:
            _wait(job, count, progress)
            if windows is not None and cpu is not None:
                cpu.client, cpu.server = windows[0].stop(), windows[1].stop()
            duration = (job.completed_at - job.started_at).total_seconds()
        finally:
            job.delete()
    return max(duration, 1e-9), shape


def _wait(job: object, count: int, progress: bool) -> None:
    from tqdm import tqdm

    deadline = time.monotonic() + max(600.0, count / 1000)
    slices = job.input()  # type: ignore[attr-defined]
    with tqdm(total=count, unit="records", disable=not progress, dynamic_ncols=True) as bar:
        while True:
            job.reload()  # type: ignore[attr-defined]
            state = job.state  # type: ignore[attr-defined]
            if state == "completed":
                bar.update(count - bar.n)
                return
            if state in ("failed", "aborted"):
                raise BenchmarkError(f"the batch job {state}: {job.exception}")  # type: ignore[attr-defined]
            left = slices.count() * (count / max(job.slice_count or 1, 1))  # type: ignore[attr-defined]
            bar.update(max(0, int(count - left) - bar.n))
            if time.monotonic() > deadline:
                raise BenchmarkError("the batch job did not complete in time")
            time.sleep(0.5)  # the poll itself is load on the measured server


def baseline_serializer(compress: bool, encrypt: bool) -> Serializer:
    if encrypt:
        return EncryptSerializer(key=get_settings().encryption_key)
    return get_serializer("compress" if compress else "none")


def run_baseline(work: BatchWork, processes: int, workers: int, cpu: bool = False) -> baseline.Span:
    count, slice_size = work.count, work.slice_size
    _, url = resolve_urls(get_settings())
    target = baseline.Target(url, database_name_of(url, slices_db().name), "")
    serializer = baseline_serializer(work.compress, work.encrypt)
    encoder = Slices(baseline.INPUT_COLLECTION, serializer)
    slices = [
        encoder.encode(first + 1, list(range(first, min(first + slice_size, count))))
        for first in range(0, count, slice_size)
    ]
    server_pid = local_server_pid(url) if cpu else None
    span = baseline.run_batch(target, slices, serializer, processes, workers, server_pid)
    if span.done != count:
        raise BenchmarkError(f"baseline processed {span.done} of {count} records")
    return span


def run(
    count: int,
    slice_size: int,
    compress: bool,
    encrypt: bool,
    processes: int,
    workers: int,
    log: Callable[[str], None],
    progress: bool,
    with_baseline: bool = True,
    cpu: bool = False,
) -> Report:
    if encrypt:
        from rocketjob.sliced.serializers import decode_key

        decode_key(get_settings().encryption_key)  # a clear error before anything runs
    work = BatchWork(count, slice_size, compress, encrypt)
    framework_cpu = CpuFigures() if cpu else None
    duration, (started, processes, workers) = run_framework(
        work, processes, workers, log, progress, framework_cpu
    )
    report = Report(
        command="rocketjob_batch_perf",
        unit="records",
        count=count,
        workers=workers,
        processes=processes,
        duration_seconds=duration,
        rate=count / duration,
        options={
            "slice_size": slice_size,
            "compress": compress,
            "encrypt": encrypt,
            "servers_started": started,
        },
    )
    if with_baseline:
        log("running the raw-pymongo baseline")
        span = run_baseline(work, processes, workers, cpu)
        report.baseline_duration_seconds = span.seconds
        report.baseline_rate = count / span.seconds
    if framework_cpu is not None:
        base = CpuFigures(span.client_cpu, span.server_cpu) if with_baseline else None
        report.cpu = cpu_report("records", count, framework_cpu, base)
    return report
