"""``manage.py rocketjob_job --abort JOB_ID``: change one job's state from the command line.

    manage.py rocketjob_job --abort 6650f0c2e4b0a1b2c3d4e5f6
    manage.py rocketjob_job --fail 6650f0c2e4b0a1b2c3d4e5f6
    manage.py rocketjob_job --pause 6650f0c2e4b0a1b2c3d4e5f6    # then --resume
    manage.py rocketjob_job --retry 6650f0c2e4b0a1b2c3d4e5f6

The same transitions as Mission Control's buttons and the API (``job.abort()`` ...): the
stored state changes at once; a running plain job stops at its next checkpoint and a batch
job's workers between slices (see docs/programmers-guide.md). An unknown id or a transition
the job's state does not allow is one line on stderr, exit status 1, and changes nothing.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rocketjob.exceptions import RocketJobError

#: Option name -> the past tense printed once it is applied.
ACTIONS = {
    "abort": "aborted",
    "fail": "failed",
    "pause": "paused",
    "resume": "resumed",
    "retry": "retried",
}


class Command(BaseCommand):
    help = "Abort, fail, pause, resume or retry one job by id."

    def add_arguments(self, parser: ArgumentParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        for action in ACTIONS:
            group.add_argument(f"--{action}", metavar="JOB_ID", help=f"{action} the job")

    def handle(self, *args: Any, **options: Any) -> None:
        from rocketjob.job import Job

        action, job_id = next((a, options[a]) for a in ACTIONS if options.get(a))
        try:
            job = Job.load(job_id)
        except (ValueError, RocketJobError, Job.DoesNotExist) as exc:
            raise CommandError(str(exc) or f"no job with id {job_id}") from exc
        before = job.state
        try:
            getattr(job, action)()
        except RocketJobError as exc:
            label = f"{type(job).__name__} {job.pk}"
            raise CommandError(f"{label} was not {ACTIONS[action]} ({before}): {exc}") from exc
        label = f"{type(job).__name__} {job.pk}"
        self.stdout.write(f"{label} {ACTIONS[action]}: {before} -> {job.state}")
