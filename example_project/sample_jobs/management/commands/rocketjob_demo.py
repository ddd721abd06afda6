"""``manage.py rocketjob_demo``: everything a first look needs, in one command.

Starts (or reuses) the embedded database, creates a demo admin user, enqueues sample jobs in
every state, then runs the jobs that are ready so their results show.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from example_project.sample_jobs.jobs import FlakyJob, HelloJob, SlowReportJob
from rocketjob.connection import ensure_indexes
from rocketjob.job import Job
from rocketjob.plugins.job.model import utc_now
from rocketjob.plugins.job.worker import ClaimFilter

DEMO_USER = "admin"
DEMO_PASSWORD = "rocketjob-demo"  # printed to the user; demo database only


class Command(BaseCommand):
    help = "Set up the demo: database, admin user, and sample jobs in every state."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-run", action="store_true", help="only enqueue the jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        self._ensure_user()
        ensure_indexes()
        self._enqueue_samples()
        if not options["no_run"]:
            self._run_ready_jobs()
        counts = Job.counts_by_state()
        self.stdout.write("jobs by state: " + ", ".join(f"{k}={v}" for k, v in counts.items()))

    def _ensure_user(self) -> None:
        users = get_user_model()
        if not users.objects.filter(username=DEMO_USER).exists():
            users.objects.create_superuser(DEMO_USER, "admin@example.com", DEMO_PASSWORD)
        self.stdout.write(f"admin login: {DEMO_USER} / {DEMO_PASSWORD}")

    def _enqueue_samples(self) -> None:
        for name in ("Ada", "Grace", "Linus"):
            HelloJob.create(name=name, description=f"greet {name}")
        SlowReportJob.create(description="quarterly report", steps=4, step_seconds=0.1)
        FlakyJob.create(description="always fails", failure_rate=1.0)
        HelloJob.create(description="runs tomorrow", run_at=utc_now() + timedelta(days=1))
        HelloJob.create(description="paused by an operator").pause()
        HelloJob.create(description="aborted by an operator").abort()

    def _run_ready_jobs(self) -> None:
        claim_filter = ClaimFilter()
        while (job := Job.rocketjob_next_job("demo:0", claim_filter)) is not None:
            job.rocketjob_work("demo:0")
            self.stdout.write(f"ran {job}: {job.state}")
