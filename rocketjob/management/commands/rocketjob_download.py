"""``manage.py rocketjob_download JOB_ID FILE``: write a batch job's output to a file.

    manage.py rocketjob_download 6650f0c2e4b0a1b2c3d4e5f6 results.csv.gz --category main

Refused while the job's slices are still being processed. The file is compressed according
to its name and appears only once it is complete.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from rocketjob.exceptions import RocketJobError


class Command(BaseCommand):
    help = "Download an output category of a batch job to a file (in input order)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("job_id")
        parser.add_argument("file", help="target file (.gz, .bz2, .zip compress by name)")
        parser.add_argument("--category", default="main", help="output category (default main)")
        parser.add_argument("--no-header", action="store_true", help="omit the header line")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        from rocketjob.batch import Batch
        from rocketjob.job import Job

        try:
            job = Job.load(options["job_id"])
        except (ValueError, RocketJobError, Job.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        if not isinstance(job, Batch):
            raise CommandError(f"{job} is not a batch job; it has no output to download")
        try:
            slices = job.output(options["category"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(
            int(doc.get("record_count") or 0)
            for doc in slices.collection.find({}, projection={"record_count": 1})
        )
        with tqdm(
            total=total,
            desc=f"download {options['file']}",
            unit=" records",
            disable=options["no_progress"],
            file=self.stderr._out,  # the raw stream: OutputWrapper appends newlines
        ) as bar:
            try:
                count = job.download(
                    options["file"],
                    category=options["category"],
                    header=not options["no_header"],
                    progress=bar.update,
                )
            except RocketJobError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"{count} records written to {options['file']}")
