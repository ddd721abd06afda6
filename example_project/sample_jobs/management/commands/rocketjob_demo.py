"""``manage.py rocketjob_demo`` (what ``make demo`` runs): everything a first look needs.

1. Migrates Django's own database and creates a demo admin user and the role groups.
2. Starts (or reuses) the embedded database and enqueues sample jobs meant to end up in
   every state: completed, failed, running (a long report), queued (throttled behind it),
   scheduled, paused, aborted, and a batch job converting a CSV file.
3. Starts ``manage.py rocketjob`` workers and Mission Control (``runserver``), prints where to
   look, and runs until Ctrl-C (or ``--duration`` seconds), then stops both gracefully.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from example_project.sample_jobs.jobs import (
    FlakyJob,
    HelloJob,
    OrdersToEuroJob,
    SlowReportJob,
    ThrottledReportJob,
)
from rocketjob.connection import ensure_indexes
from rocketjob.job import Job
from rocketjob.plugins.job.model import utc_now

DEMO_USER = "admin"
DEMO_PASSWORD = "rocketjob-demo"  # printed to the user; demo database only
SAMPLE_CSV = Path(settings.BASE_DIR) / "example_project" / "sample_data" / "orders.csv"


class Command(BaseCommand):
    help = "Run the demo: database, sample jobs in every state, workers and Mission Control."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Mission Control port")
        parser.add_argument("--workers", type=int, default=4, help="worker threads")
        parser.add_argument(
            "--duration", type=float, default=0, help="stop after this many seconds (0: Ctrl-C)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("mission_control_groups", verbosity=0)
        self._ensure_user()
        ensure_indexes()
        self._enqueue_samples()
        children = self._start_children(options["port"], options["workers"])
        url = f"http://127.0.0.1:{options['port']}/admin/mission_control/job/"
        self.stdout.write(
            f"\nMission Control: {url}\n"
            f"login:           {DEMO_USER} / {DEMO_PASSWORD}\n"
            f"workers:         {options['workers']} threads (manage.py rocketjob --list)\n"
            "Press Ctrl-C to stop.\n"
        )
        try:
            self._wait(children, options["duration"])
        finally:
            self._stop(children)
        counts = Job.counts_by_state()
        self.stdout.write("jobs by state: " + ", ".join(f"{k}={v}" for k, v in counts.items()))

    def _ensure_user(self) -> None:
        users = get_user_model()
        if not users.objects.filter(username=DEMO_USER).exists():
            users.objects.create_superuser(DEMO_USER, "admin@example.com", DEMO_PASSWORD)

    def _enqueue_samples(self) -> None:
        for name in ("Ada", "Grace", "Linus"):
            HelloJob.create(name=name, description=f"greet {name}")
        FlakyJob.create(description="calls a flaky upstream service", failure_rate=1.0)
        SlowReportJob.create(description="quarterly report (takes a few minutes)", steps=300)
        ThrottledReportJob.create(description="monthly report", steps=300, step_seconds=1)
        ThrottledReportJob.create(description="weekly report: waits for the monthly one")
        HelloJob.create(description="runs tomorrow", run_at=utc_now() + timedelta(days=1))
        HelloJob.create(description="paused by an operator").pause()
        HelloJob.create(description="aborted by an operator").abort()
        OrdersToEuroJob.create_from_upload(str(SAMPLE_CSV), description="convert orders to EUR")

    def _start_children(self, port: int, workers: int) -> list[subprocess.Popen[bytes]]:
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        return [
            # On Ctrl-C running jobs get 5 s to finish, then go back to the queue.
            subprocess.Popen(
                [
                    *manage,
                    "rocketjob",
                    "--workers",
                    str(workers),
                    "--log-level",
                    "WARNING",
                    "--shutdown-timeout",
                    "5",
                ]
            ),
            subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"]),
        ]

    def _wait(self, children: list[subprocess.Popen[bytes]], duration: float) -> None:
        deadline = time.monotonic() + duration if duration else None
        try:
            while all(child.poll() is None for child in children):
                if deadline is not None and time.monotonic() > deadline:
                    return
                time.sleep(0.5)
        except KeyboardInterrupt:
            return
        failed = [c.args for c in children if c.poll() is not None]
        self.stderr.write(f"stopped early: {failed}")

    def _stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
