"""``manage.py rocketjob_perf -c N``: jobs per second, against a raw-pymongo baseline.

    manage.py rocketjob_perf -c 10000 --workers 5 --processes 3 [--keep-completed N] [--json]

Pauses every running server, enqueues N no-op ``SimpleJob``s (bulk insert; the first at
priority 1, the last at 100), resumes them and times the first start to the last completion.
``--keep-completed N`` first inserts N completed jobs (removed afterwards), so the claims
run against a collection that large. With no server running it starts ``--processes`` x
``--workers`` itself and stops them after.
Then the same database operations run with raw pymongo at the same concurrency, and
``efficiency = jobs_per_second / baseline_jobs_per_second``. ``--cpu`` adds CPU time per job
of the worker processes and of the database server, for both (rocketjob.perf.cpu). See
docs/performance.md.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rocketjob.perf.servers import BenchmarkError


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def add_common_arguments(parser: ArgumentParser, default_count: int) -> None:
    parser.add_argument("-c", "--count", type=positive, default=default_count)
    parser.add_argument(
        "-w", "--workers", type=positive, default=5, help="worker threads per process (5)"
    )
    parser.add_argument("-p", "--processes", type=positive, default=3, help="server processes (3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline run")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="also report CPU time per job/record of the workers and the local database server",
    )


class Command(BaseCommand):
    help = "Benchmark simple jobs (jobs/s) against a raw-pymongo baseline."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_common_arguments(parser, default_count=1000)
        parser.add_argument(
            "--keep-completed",
            type=non_negative,
            default=0,
            metavar="N",
            help="insert N completed jobs before the run (and N into the baseline's "
            "collection), so the claims run against a large collection; removed afterwards",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from rocketjob.perf import simple

        quiet = options["json"]
        try:
            report = simple.run(
                options["count"],
                options["processes"],
                options["workers"],
                log=(lambda _: None) if quiet else self.stderr.write,
                progress=not (quiet or options["no_progress"]),
                with_baseline=not options["no_baseline"],
                cpu=options["cpu"],
                keep_completed=options["keep_completed"],
            )
        except BenchmarkError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.render(options["json"]))
