"""``manage.py rocketjob_batch_perf -c N``: batch records per second, against a baseline.

    manage.py rocketjob_batch_perf -c 1000000 --slice-size 1000 [--compress|--encrypt] [--json]

Uploads N integers into one echo ``PerformanceJob`` while the servers are paused (the upload
is not timed), resumes them and reports records / (job completed_at - started_at). The
raw-pymongo baseline then inserts the same slices and processes them at the same
concurrency (claim a slice, write its output slice, delete it). See docs/performance.md.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rocketjob.exceptions import ConfigurationError
from rocketjob.management.commands.rocketjob_perf import add_common_arguments, positive
from rocketjob.perf.servers import BenchmarkError


class Command(BaseCommand):
    help = "Benchmark a batch job (records/s) against a raw-pymongo baseline."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_common_arguments(parser, default_count=1_000_000)
        parser.add_argument("-s", "--slice-size", type=positive, default=1000)
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--compress", action="store_true", help="zlib slices")
        group.add_argument("--encrypt", action="store_true", help="compressed, encrypted")

    def handle(self, *args: Any, **options: Any) -> None:
        from rocketjob.perf import batch

        quiet = options["json"]
        try:
            report = batch.run(
                options["count"],
                options["slice_size"],
                options["compress"],
                options["encrypt"],
                options["processes"],
                options["workers"],
                log=(lambda _: None) if quiet else self.stderr.write,
                progress=not (quiet or options["no_progress"]),
                with_baseline=not options["no_baseline"],
                cpu=options["cpu"],
            )
        except (BenchmarkError, ConfigurationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.render(options["json"]))
