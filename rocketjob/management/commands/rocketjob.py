"""``manage.py rocketjob``: run workers, or control the servers that run them.

    manage.py rocketjob --workers 8                 # one supervisor with 8 worker threads
    manage.py rocketjob --processes 4 --workers 2   # 4 supervisor processes
    manage.py rocketjob --list                      # registered servers, zombies marked
    manage.py rocketjob --pause [NAME]              # --resume --stop --kill --dump --refresh

Control options publish events (NAME empty: every server; else exact or partial name). The
command itself is thin: options are validated here and handed to the Supervisor.
"""

from __future__ import annotations

import json
import os
import re
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from pymongo.errors import PyMongoError

from rocketjob.events import LOG_LEVELS

CONTROL = ("stop", "pause", "resume", "kill", "dump", "refresh")


class Command(BaseCommand):
    help = "Run Rocket Job workers (a supervisor with worker threads), or control running ones."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        run = parser.add_argument_group("running workers")
        run.add_argument("-w", "--workers", type=int, help="worker threads (default: max_workers)")
        run.add_argument("-n", "--name", default="", help="server name (default: host:pid)")
        run.add_argument("--include", help="only job classes whose module.Class matches REGEX")
        run.add_argument("-E", "--exclude", help="skip job classes whose module.Class matches")
        run.add_argument("-W", "--where", help="extra MongoDB query (JSON) jobs must match")
        run.add_argument("--processes", type=int, default=1, help="supervisor processes to run")
        run.add_argument(
            "--shutdown-timeout",
            type=float,
            default=60.0,
            help="seconds running jobs get to finish on SIGTERM before they are re-queued",
        )
        run.add_argument(
            "--log-level",
            default=os.environ.get("ROCKETJOB_LOG_LEVEL", "INFO"),
            type=str.upper,
            choices=LOG_LEVELS,
            help="log level of this process (default INFO)",
        )
        run.add_argument(
            "--metrics-port",
            type=int,
            metavar="PORT",
            help="serve this process's Prometheus metrics on PORT (with --processes: PORT, "
            "PORT+1, ... one per process)",
        )
        run.add_argument(
            "--metrics-addr",
            default="127.0.0.1",
            metavar="ADDR",
            help="address for --metrics-port (default 127.0.0.1)",
        )
        run.add_argument("--parent-pid", type=int, help=argparse_suppress())
        control = parser.add_argument_group("controlling running servers")
        control.add_argument("--list", nargs="?", const="", metavar="FILTER", help="list servers")
        for action in CONTROL:
            control.add_argument(
                f"--{action}",
                nargs="?",
                const="",
                metavar="NAME",
                help=f"send {action} to every server, or those whose name contains NAME",
            )
        control.add_argument("--stop-worker", metavar="WORKER", help="stop one worker thread")
        control.add_argument("--kill-worker", metavar="WORKER", help="kill one worker thread")
        control.add_argument(
            "--set-log-level", type=str.upper, choices=LOG_LEVELS, help="change servers' log level"
        )
        control.add_argument("--target", default="", metavar="NAME", help="for --set-log-level")
        control.add_argument(
            "--destroy-zombies", action="store_true", help="remove dead servers, re-queue jobs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from rocketjob.runtime import logs

        logs.configure(options["log_level"])
        if self._control(options):
            return
        self._run(options)

    # -- control --------------------------------------------------------------------------
    def _control(self, options: dict[str, Any]) -> bool:
        from rocketjob.runtime import control
        from rocketjob.runtime.server import Server

        lines: list[str] = []
        acted = False
        try:
            if options["list"] is not None:
                lines += control.table(options["list"])
                acted = True
            for action in CONTROL:
                if options[action] is not None:
                    event = "thread_dump" if action == "dump" else action
                    lines += control.send(event, options[action])
                    acted = True
            for action in ("stop_worker", "kill_worker"):
                if options[action] is not None:  # "" is refused by send, never a run
                    lines += control.send(action, "", worker_name=options[action])
                    acted = True
            if options["set_log_level"]:
                lines += control.send(
                    "set_log_level", options["target"], level=options["set_log_level"]
                )
                acted = True
            if options["destroy_zombies"]:
                lines.append(f"destroyed {Server.destroy_zombies()} zombie server(s)")
                acted = True
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except PyMongoError as exc:  # control skips the system checks that would report it
            raise CommandError(f"cannot reach the database: {exc}") from exc
        for line in lines:
            self.stdout.write(line)
        return acted

    # -- running --------------------------------------------------------------------------
    def _run(self, options: dict[str, Any]) -> None:
        where = _parse_where(options["where"])
        _check_effective_where(where)
        for name in ("include", "exclude"):
            if options[name]:
                try:
                    re.compile(options[name])
                except re.error as exc:
                    raise CommandError(
                        f"--{name} is not a valid regular expression: {exc}"
                    ) from exc
        if options["include"] and options["exclude"]:
            raise CommandError("use --include or --exclude, not both")
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1")
        port = options["metrics_port"]
        if port is not None and not 1 <= port <= 65535 - options["processes"] + 1:
            raise CommandError("--metrics-port must be a port number between 1 and 65535")
        if options["processes"] > 1:
            raise SystemExit(self._run_processes(options))
        from rocketjob.runtime.server import ServerNameInUseError
        from rocketjob.runtime.supervisor import Supervisor, SupervisorOptions

        supervisor = Supervisor(
            SupervisorOptions(
                name=options["name"],
                max_workers=options["workers"],
                include=options["include"],
                exclude=options["exclude"],
                where=where,
                shutdown_timeout=options["shutdown_timeout"],
                parent_pid=options["parent_pid"],
            )
        )
        stop_metrics = self._serve_metrics(supervisor, options)
        try:
            supervisor.run()
        except ServerNameInUseError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            stop_metrics()

    def _serve_metrics(self, supervisor: Any, options: dict[str, Any]) -> Any:
        """Start the per-process endpoint of ``--metrics-port``; returns its stop function."""
        port, addr = options["metrics_port"], options["metrics_addr"]
        if port is None:
            return lambda: None
        from rocketjob.metrics.exposition import serve_process_metrics

        def workers() -> tuple[int, int]:
            alive, busy = len(supervisor.pool.alive()), len(supervisor.pool.active())
            return busy, max(0, alive - busy)

        try:
            stop = serve_process_metrics(workers, port, addr)
        except OSError as exc:
            raise CommandError(f"cannot serve metrics on {addr}:{port}: {exc}") from exc
        self.stderr.write(f"metrics on http://{addr}:{port}/metrics")
        return stop

    def _run_processes(self, options: dict[str, Any]) -> int:
        from rocketjob.runtime.processes import ProcessGroup, child_command

        commands = []
        for index in range(options["processes"]):
            args = ["--processes", "1", "--parent-pid", str(os.getpid())]
            args += ["--shutdown-timeout", str(options["shutdown_timeout"])]
            args += ["--log-level", options["log_level"]]
            if options["name"]:
                args += ["--name", f"{options['name']}-{index}"]
            if options["metrics_port"] is not None:
                args += ["--metrics-port", str(options["metrics_port"] + index)]
                args += ["--metrics-addr", options["metrics_addr"]]
            for name in ("workers", "include", "exclude", "where"):
                if options[name] is not None:
                    args += [f"--{name}", str(options[name])]
            commands.append(child_command(args))
        return ProcessGroup(commands).run()


def _parse_where(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        where = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--where is not valid JSON: {exc}") from exc
    if not isinstance(where, dict):
        raise CommandError(f"--where must be a JSON object, got {type(where).__name__}")
    return where


def _check_effective_where(where: dict[str, Any] | None) -> None:
    """The filter the supervisor will use (``--where``, else the setting), run once now."""
    from rocketjob.conf import get_settings
    from rocketjob.exceptions import ConfigurationError
    from rocketjob.plugins.job.where_check import InvalidWhereFilterError, check_where

    try:
        source, effective = (
            ("--where", where)
            if where is not None
            else (
                "the where_filter setting",
                get_settings().where_filter,
            )
        )
        if effective:
            check_where(effective, source)
    except (InvalidWhereFilterError, ConfigurationError) as exc:
        raise CommandError(str(exc)) from exc


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS
