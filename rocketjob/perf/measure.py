"""Running one benchmark: the framework run, the baseline run, and the report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from tqdm import tqdm

from rocketjob.perf.servers import BenchmarkError


@dataclass
class Report:
    """One benchmark's figures; ``rate`` is jobs/s or records/s (``unit``)."""

    command: str
    unit: str
    count: int
    workers: int
    processes: int
    duration_seconds: float
    rate: float
    baseline_duration_seconds: float | None = None
    baseline_rate: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: ``--cpu``: microseconds of CPU per job/record (rocketjob.perf.cpu.cpu_report).
    cpu: dict[str, Any] | None = None

    @property
    def efficiency(self) -> float | None:
        if not self.baseline_rate:
            return None
        return self.rate / self.baseline_rate

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data[f"{self.unit}_per_second"] = round(self.rate, 1)
        data["baseline"] = None
        if self.baseline_rate is not None:
            data["baseline"] = {
                "duration_seconds": round(self.baseline_duration_seconds or 0.0, 3),
                f"{self.unit}_per_second": round(self.baseline_rate, 1),
            }
        data["efficiency"] = None if self.efficiency is None else round(self.efficiency, 3)
        for name in ("rate", "baseline_rate", "baseline_duration_seconds"):
            data.pop(name)
        data["duration_seconds"] = round(self.duration_seconds, 3)
        return data

    def render(self, as_json: bool) -> str:
        if as_json:
            return json.dumps(self.as_dict(), sort_keys=True)
        lines = [
            f"{self.unit.capitalize()}: {self.count}",
            f"Workers: {self.workers} x {self.processes} process(es)",
            f"Duration: {self.duration_seconds:.3f} s",
            f"{self.unit}_per_second: {self.rate:,.1f}",
        ]
        if self.baseline_rate is not None:
            lines.append(
                f"baseline_{self.unit}_per_second: {self.baseline_rate:,.1f} "
                f"({self.baseline_duration_seconds:.3f} s, raw pymongo, same concurrency)"
            )
            lines.append(f"efficiency: {self.efficiency:.3f}")
        for name, value in (self.cpu or {}).items():
            lines.append(f"cpu {name}: {'not measured' if value is None else value}")
        return "\n".join(lines)


def wait_with_progress(
    finished: Callable[[], bool],
    done: Callable[[], int],
    total: int,
    unit: str,
    show: bool,
    failed: Callable[[], str | None],
    timeout: float,
) -> None:
    """Poll ``finished()`` until it is true, with a tqdm bar fed by ``done()`` when shown;
    fail fast on ``failed()`` returning a message.

    The polls load the measured server, so ``finished`` and ``failed`` must be cheap
    whatever the size of the run (index lookups with a limit); ``done`` (a count) is only
    called for the bar.
    """
    deadline = time.monotonic() + timeout
    with tqdm(total=total, unit=unit, disable=not show, dynamic_ncols=True) as bar:
        while True:
            if show:
                bar.update(done() - bar.n)
            if finished():
                bar.update(total - bar.n)
                return
            problem = failed()
            if problem:
                raise BenchmarkError(problem)
            if time.monotonic() > deadline:
                raise BenchmarkError(f"{unit} not done after {timeout:.0f} s")
            time.sleep(0.5)
