"""``--cpu``: CPU time per job (or record) of the workers and of the database server.

Wall-clock rates on a shared machine say little about where the time goes; CPU time does.
Both sides of a benchmark are measured the same way, as the kernel accounts them (user +
system time of every thread of a process):

* **client**: the worker processes. For the framework, every server registered from this
  host (their pids), read from ``/proc/<pid>/stat`` just before ``resume`` and just after the
  last completion is seen; for the baseline, each spawned process reports its own
  ``time.process_time()`` from the start signal to its last thread's end.
* **server**: the database server, when it listens on a local port: its pid is found from
  the listening socket (``/proc/net/tcp``, then the socket inodes in ``/proc/<pid>/fd``) and
  read over the same two windows. A remote server (or another user's) is not measured.

``/proc`` counts in clock ticks (usually 10 ms): with a few seconds of CPU per run the error
is a few per cent. Linux only; elsewhere the figures are ``None``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LISTEN = "0A"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (all its threads), or None."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": the name may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def total_cpu_seconds(pids: list[int]) -> float | None:
    values = [cpu_seconds(pid) for pid in pids]
    if not values or any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def local_server_pid(url: str) -> int | None:
    """The pid of the process serving ``url`` on this machine, or None (remote, or not ours)."""
    from pymongo.uri_parser import parse_uri

    try:
        host, port = parse_uri(url)["nodelist"][0]
    except Exception:
        return None
    if host not in LOCAL_HOSTS and host != socket.gethostname():
        return None
    targets = {f"socket:[{inode}]" for inode in _listening_inodes(int(port))}
    if not targets:
        return None
    for process in PROC.iterdir():
        if not process.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (process / "fd").iterdir()}
        except OSError:
            continue
        if links & targets:
            return int(process.name)
    return None


def local_worker_pids() -> list[int]:
    """Pids of the live servers (worker processes) registered from this host."""
    from rocketjob.perf.servers import live_servers

    here = socket.gethostname()
    return sorted(int(s.pid) for s in live_servers() if s.host == here and s.pid)


@dataclass
class CpuWindow:
    """CPU seconds of some processes between :meth:`start` and :meth:`stop`."""

    pids: list[int]
    started: float | None = None
    seconds: float | None = None

    def start(self) -> CpuWindow:
        self.started = total_cpu_seconds(self.pids)
        return self

    def stop(self) -> float | None:
        ended = total_cpu_seconds(self.pids)
        if self.started is not None and ended is not None:
            self.seconds = ended - self.started
        return self.seconds


def cpu_windows() -> tuple[CpuWindow, CpuWindow]:
    """Started windows over this host's worker processes and the local database server."""
    from rocketjob.conf import get_settings
    from rocketjob.connection import resolve_urls

    server_pid = local_server_pid(resolve_urls(get_settings())[0])
    workers = CpuWindow(local_worker_pids()).start()
    return workers, CpuWindow([server_pid] if server_pid else []).start()


@dataclass
class CpuFigures:
    """CPU seconds of one run: its workers (client) and the database server."""

    client: float | None = None
    server: float | None = None


def per_item_us(seconds: float | None, count: int) -> float | None:
    return None if seconds is None else round(seconds * 1e6 / count, 1)


def _ratio(value: float | None, base: float | None) -> float | None:
    return None if value is None or not base else round(value / base, 3)


def cpu_report(
    unit: str, count: int, framework: CpuFigures, baseline: CpuFigures | None
) -> dict[str, Any]:
    """The ``cpu`` section of a report: microseconds per job/record, and the ratios."""
    item = unit.rstrip("s")
    report: dict[str, Any] = {
        f"client_us_per_{item}": per_item_us(framework.client, count),
        f"server_us_per_{item}": per_item_us(framework.server, count),
    }
    if baseline is not None:
        report[f"baseline_client_us_per_{item}"] = per_item_us(baseline.client, count)
        report[f"baseline_server_us_per_{item}"] = per_item_us(baseline.server, count)
        report["client_ratio"] = _ratio(framework.client, baseline.client)
        report["server_ratio"] = _ratio(framework.server, baseline.server)
    return report
