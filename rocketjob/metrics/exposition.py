"""Prometheus collectors: the cluster's view (Mission Control's URL) and one process's.

Both are custom ``Collector`` objects that build metric families at scrape time, so nothing
is kept in prometheus_client's global registry and a scrape always reflects the database (or
this process) as it is now. Counters of the cluster are the sums over the whole hours of the
metrics retention window (:mod:`rocketjob.metrics.totals`): when the oldest hour leaves it a
counter can go down, which Prometheus reads as a reset (``rate()`` and ``increase()`` handle
that). Names and labels: docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Protocol

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from rocketjob.metrics import BUCKET_LABELS, BUCKETS


class Totals(Protocol):
    """What the families need of a class's numbers (MinuteMetrics or accumulator Counts)."""

    @property
    def completed(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def aborted(self) -> int: ...
    @property
    def run_seconds_sum(self) -> float: ...
    @property
    def run_buckets(self) -> dict[str, int]: ...
    @property
    def latency_seconds_sum(self) -> float: ...
    @property
    def latency_buckets(self) -> dict[str, int]: ...
    @property
    def records(self) -> int: ...


def _cumulative(buckets: dict[str, int]) -> list[tuple[str, float]]:
    """Stored per-bucket counts as Prometheus's cumulative ``le`` buckets (``"10.0"``)."""
    running = 0
    out: list[tuple[str, float]] = []
    for bound, label in zip(BUCKETS, BUCKET_LABELS, strict=True):
        running += buckets.get(label, 0)
        out.append((floatToGoString(bound), float(running)))
    return out


def job_families(prefix: str, totals: Mapping[str, Totals], scope: str) -> Iterator[Metric]:
    """Counters and histograms per job class, named ``<prefix>jobs_completed_total`` etc."""
    counters = {
        "completed": CounterMetricFamily(
            f"{prefix}jobs_completed", f"Jobs completed ({scope}).", labels=["job_class"]
        ),
        "failed": CounterMetricFamily(
            f"{prefix}jobs_failed", f"Jobs failed ({scope}).", labels=["job_class"]
        ),
        "aborted": CounterMetricFamily(
            f"{prefix}jobs_aborted", f"Jobs aborted ({scope}).", labels=["job_class"]
        ),
        "records": CounterMetricFamily(
            f"{prefix}batch_records", f"Batch records processed ({scope}).", labels=["job_class"]
        ),
    }
    run = HistogramMetricFamily(
        f"{prefix}job_run_seconds",
        f"Run time of completed and failed jobs, started_at to completed_at ({scope}).",
        labels=["job_class"],
    )
    latency = HistogramMetricFamily(
        f"{prefix}job_queue_latency_seconds",
        f"Queue latency: started_at minus the later of created_at and run_at ({scope}).",
        labels=["job_class"],
    )
    for job_class, numbers in sorted(totals.items()):
        for name, family in counters.items():
            family.add_metric([job_class], float(getattr(numbers, name)))
        run.add_metric(
            [job_class], _cumulative(numbers.run_buckets), sum_value=numbers.run_seconds_sum
        )
        latency.add_metric(
            [job_class],
            _cumulative(numbers.latency_buckets),
            sum_value=numbers.latency_seconds_sum,
        )
    yield from counters.values()
    yield run
    yield latency


def jobs_by_state_and_class() -> dict[tuple[str, str], int]:
    """(state, short class name) -> number of jobs, with one aggregate."""
    from rocketjob.job import Job

    pipeline = [
        {"$project": {"k": {"$concat": ["$state", "|", {"$ifNull": ["$_cls", "Job"]}]}}},
        {"$group": {"_id": "$k", "n": {"$sum": 1}}},
    ]
    counts: dict[tuple[str, str], int] = {}
    for row in Job._get_collection().aggregate(pipeline):
        state, _, stored = str(row["_id"]).partition("|")
        key = (state, stored.rsplit(".", 1)[-1])
        counts[key] = counts.get(key, 0) + int(row["n"])
    return counts


class ClusterCollector(Collector):
    """Everything in the database: jobs, servers and workers, and the metrics collection."""

    def collect(self) -> Iterable[Metric]:
        from rocketjob.metrics.totals import CLUSTER_TOTALS
        from rocketjob.runtime.server import SERVER_STATES, Server

        jobs = GaugeMetricFamily(
            "rocketjob_jobs", "Jobs stored, by state and class.", labels=["state", "job_class"]
        )
        counts = jobs_by_state_and_class()
        for state, job_class in sorted(counts):
            jobs.add_metric([state, job_class], counts[(state, job_class)])
        yield jobs
        servers = GaugeMetricFamily("rocketjob_servers", "Servers, by state.", labels=["state"])
        workers = GaugeMetricFamily(
            "rocketjob_workers", "Worker threads of all servers, busy or idle.", labels=["state"]
        )
        server_states = dict.fromkeys(SERVER_STATES, 0)
        busy = idle = 0
        for server, readable in Server.stored():
            if not readable:
                server_states["unreadable"] = server_states.get("unreadable", 0) + 1
                continue
            server_states[server.state] = server_states.get(server.state, 0) + 1
            beat = server.heartbeat
            active = int(beat.active_workers or 0) if beat else 0
            busy += active
            idle += max(0, int(beat.workers or 0) - active) if beat else 0
        for state, number in server_states.items():
            servers.add_metric([state], number)
        workers.add_metric(["busy"], busy)
        workers.add_metric(["idle"], idle)
        yield servers
        yield workers
        totals = CLUSTER_TOTALS.totals()
        yield from job_families("rocketjob_", totals, "all servers, retention window")


class ProcessCollector(Collector):
    """One ``manage.py rocketjob`` process: its workers and its counters since it started."""

    def __init__(self, workers: Callable[[], tuple[int, int]]) -> None:
        #: Returns (busy, idle) worker threads of this process.
        self.workers = workers

    def collect(self) -> Iterable[Metric]:
        from rocketjob.metrics.recorder import ACCUMULATOR

        busy, idle = self.workers()
        workers = GaugeMetricFamily(
            "rocketjob_process_workers", "Worker threads of this process.", labels=["state"]
        )
        workers.add_metric(["busy"], busy)
        workers.add_metric(["idle"], idle)
        yield workers
        totals = ACCUMULATOR.totals()
        yield from job_families("rocketjob_process_", totals, "this process, since it started")


def serve_process_metrics(
    workers: Callable[[], tuple[int, int]], port: int, addr: str = "127.0.0.1"
) -> Callable[[], None]:
    """Serve this process's metrics over HTTP (``/metrics``); returns the function that stops it.

    Raises OSError when the address cannot be bound (the caller reports it).
    """
    from prometheus_client import start_http_server
    from prometheus_client.registry import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProcessCollector(workers))
    server, thread = start_http_server(port, addr=addr, registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
