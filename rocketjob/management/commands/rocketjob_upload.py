"""``manage.py rocketjob_upload JOBCLASS FILE``: create a batch job from a file.

    manage.py rocketjob_upload ImportJob people.csv.gz --set priority=20 --set region='"eu"'

The job is saved only after the whole file was uploaded: bad input (named by line) leaves
nothing behind. ``--set`` values are JSON when they parse as JSON, else plain strings.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from rocketjob.exceptions import RocketJobError


def find_batch_class(name: str) -> type:
    """A batch job class by class name, stored name (``Job.X``) or ``module.Class``."""
    from rocketjob.batch import Batch
    from rocketjob.document import registered_job_classes

    matches = [
        klass
        for stored, klass in registered_job_classes().items()
        if name in (stored, klass.__name__, f"{klass.__module__}.{klass.__qualname__}")
    ]
    if not matches:
        raise CommandError(f"no job class named {name!r} is registered")
    klass = matches[0]
    if not issubclass(klass, Batch):
        raise CommandError(f"{name} is not a batch job (it does not include rocketjob.Batch)")
    return klass


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        if not sep or not key:
            raise CommandError(f"--set needs FIELD=VALUE, got {assignment!r}")
        try:
            fields[key] = json.loads(raw)
        except json.JSONDecodeError:
            fields[key] = raw
    return fields


class Command(BaseCommand):
    help = "Upload a file into a new batch job (saved only if the whole upload succeeds)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("job_class", help="batch job class (Name, Job.Name or module.Name)")
        parser.add_argument("file", help="file to upload (.gz, .bz2, .zip by name)")
        parser.add_argument("--category", default="main", help="input category (default main)")
        parser.add_argument("--slice-size", type=int, help="records per slice")
        parser.add_argument("--encoding", help="text encoding of the file (default utf-8)")
        parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        klass = find_batch_class(options["job_class"])
        fields = parse_assignments(options["set"])
        upload_options: dict[str, Any] = {"category": options["category"]}
        if options["slice_size"] is not None:
            if options["slice_size"] < 1:  # 0 used to be silently ignored, -5 accepted
                raise CommandError(f"--slice-size must be at least 1, got {options['slice_size']}")
            upload_options["slice_size"] = options["slice_size"]
        if options["encoding"]:
            upload_options["encoding"] = options["encoding"]
        with tqdm(
            desc=f"upload {options['file']}",
            unit=" records",
            disable=options["no_progress"],
            file=self.stderr._out,  # the raw stream: OutputWrapper appends newlines
        ) as bar:
            upload_options["progress"] = bar.update
            try:
                job = klass.create_from_upload(  # type: ignore[attr-defined]
                    options["file"], upload_options=upload_options, **fields
                )
            except (RocketJobError, FileNotFoundError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"{job.pk} {klass.__name__} {job.record_count} records")
