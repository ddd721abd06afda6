"""Draw the growth charts of docs/performance.md from docs/data/growth.json (a dev tool).

    .venv/bin/pip install matplotlib   # not a dependency of the package
    .venv/bin/python docs/charts.py

``growth.json`` holds one entry per benchmark run (its command line, the ``--json`` report
of ``rocketjob_perf`` / ``rocketjob_batch_perf`` and the load average before and after);
the charts show the framework's rate, the raw-pymongo baseline's rate measured in the same
run, and their ratio (efficiency) against the size of the run, on a log x axis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

DOCS = Path(__file__).resolve().parent
DATA = DOCS / "data" / "growth.json"
IMAGES = DOCS / "images"


@dataclass(frozen=True)
class Style:
    markers: tuple[str, str, str]  # framework rate, baseline rate, efficiency
    color: str | None = None
    label: str = ""


#: Median lines of the runs that grow the queue, and the run with completed jobs kept, drawn
#: as lone diamonds at its collection's size.
#: The commit from which batch runs count (the slice re-queue on join stopped reading every
#: slice); earlier runs are shown apart.
BATCH_FIX = "7086243"
LINES = Style(("o-", "s--", "o-"))
KEPT = Style(("D", "d", "D"), "tab:red", " (1,000 jobs + 100,000 completed kept)")


def _thousands(value: float, _: Any) -> str:
    return f"{value:,.0f}"


def _medians(
    runs: list[dict[str, Any]], unit: str, x_of: Any
) -> tuple[list[float], dict[str, list[float]], dict[str, list[tuple[float, float]]]]:
    """Per x (size): the median framework rate, baseline rate and efficiency, and every
    run's values (drawn as small points, so the spread of single runs stays visible)."""
    key = f"{unit}_per_second"
    groups: dict[float, list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault(x_of(run), []).append(run["report"])
    xs = sorted(groups)
    values = {
        "rate": lambda r: r[key],
        "base": lambda r: r["baseline"][key],
        "eff": lambda r: r["efficiency"],
    }
    medians = {
        name: [median(get(r) for r in groups[x]) for x in xs] for name, get in values.items()
    }
    singles = {name: [(x, get(r)) for x in xs for r in groups[x]] for name, get in values.items()}
    return xs, medians, singles


def _panels(title: str, unit: str, xlabel: str) -> tuple[Any, Axes, Axes]:
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    figure.suptitle(f"{title}\nmedians per size; small dots: single runs", fontsize=11)
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xlabel(xlabel)
        axis.grid(True, which="both", alpha=0.3)
        axis.xaxis.set_major_formatter(FuncFormatter(_thousands))
    left.set_ylabel(f"{unit}/s")
    left.yaxis.set_major_formatter(FuncFormatter(_thousands))
    right.set_ylabel("efficiency (framework / baseline)")
    return figure, left, right


def _annotate(
    axis: Axes, xs: list[float], ys: list[float], fmt: str, where: tuple[int, int, str]
) -> None:
    """Label each point; ``where`` is the (dx, dy) offset in points and the alignment."""
    dx, dy, align = where
    for x, y in zip(xs, ys, strict=True):
        axis.annotate(
            fmt.format(y),
            (x, y),
            textcoords="offset points",
            xytext=(dx, dy),
            ha=align,
            va="center",
            fontsize=8,
        )


def _plot_runs(
    left: Axes, right: Axes, runs: list[dict[str, Any]], unit: str, x_of: Any, style: Style
) -> None:
    xs, medians, singles = _medians(runs, unit, x_of)
    rate, base, eff = style.markers
    for axis, name, marker, text, fmt, dy in [
        (left, "rate", rate, f"framework{style.label}", "{:,.0f}", (-7, 0, "right")),
        (
            left,
            "base",
            base,
            f"raw pymongo baseline, same run{style.label}",
            "{:,.0f}",
            (7, 0, "left"),
        ),
        (right, "eff", eff, f"efficiency{style.label}", "{:.2f}", (0, 10, "center")),
    ]:
        line = axis.plot(xs, medians[name], marker, label=text, color=style.color)[0]
        if len(singles[name]) > len(xs):
            px, py = zip(*singles[name], strict=True)
            axis.plot(px, py, ".", color=line.get_color(), alpha=0.35)
        _annotate(axis, xs, medians[name], fmt, dy)


def _save(figure: Any, left: Axes, right: Axes, path: Path) -> None:
    for axis in (left, right):
        axis.margins(x=0.22)
    left.set_ylim(0, left.get_ylim()[1] * 1.12)
    right.set_ylim(0, max(1.1, right.get_ylim()[1] * 1.08))
    left.legend(fontsize=8, loc="lower left")
    right.legend(fontsize=8, loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def simple_chart(runs: list[dict[str, Any]], path: Path) -> None:
    """jobs/s and efficiency against the jobs in the collection; the run with completed
    jobs kept is drawn apart, at the collection's size."""
    grown = sorted(
        (r for r in runs if not r["report"]["options"].get("keep_completed")),
        key=lambda r: r["report"]["count"],
    )
    kept = [r for r in runs if r["report"]["options"].get("keep_completed")]
    figure, left, right = _panels(
        "rocketjob_perf: simple jobs, 5 workers x 3 processes, embedded server",
        "jobs",
        "documents in the jobs collection",
    )
    _plot_runs(left, right, grown, "jobs", lambda r: r["report"]["count"], LINES)
    if kept:
        size = lambda r: r["report"]["options"]["collection_documents"]  # noqa: E731
        _plot_runs(left, right, kept, "jobs", size, KEPT)
    _save(figure, left, right, path)


def batch_chart(runs: list[dict[str, Any]], path: Path) -> None:
    """records/s and efficiency against the records in the batch job; runs measured before
    the slice re-queue fix (``BATCH_FIX``) are drawn as grey points."""
    after = [r for r in runs if r.get("commit") == BATCH_FIX]
    before = [r for r in runs if r.get("commit") != BATCH_FIX]
    figure, left, right = _panels(
        "rocketjob_batch_perf: slices of 1,000 records, 5 workers x 3 processes",
        "records",
        "records in the batch job",
    )
    count = lambda r: r["report"]["count"]  # noqa: E731
    _plot_runs(left, right, after, "records", count, LINES)
    if before:
        xs = [count(r) for r in before]
        label = f"before {BATCH_FIX} (each join read every slice)"
        for axis, key, what in [
            (left, "records_per_second", "framework"),
            (right, "efficiency", "efficiency"),
        ]:
            ys = [r["report"][key] for r in before]
            axis.plot(xs, ys, "x", color="grey", label=f"{what}, {label}")
    _save(figure, left, right, path)


def main() -> None:
    runs = json.loads(DATA.read_text())["runs"]
    IMAGES.mkdir(exist_ok=True)
    simple = [r for r in runs if r["report"]["command"] == "rocketjob_perf"]
    batch = [r for r in runs if r["report"]["command"] == "rocketjob_batch_perf"]
    if simple:
        simple_chart(simple, IMAGES / "growth-jobs.png")
    if batch:
        batch_chart(batch, IMAGES / "growth-records.png")


if __name__ == "__main__":
    main()
