"""The embedded MongoDB-protocol server: the zero-configuration default for development.

When no MongoDB URL is configured, django-rocketjob runs ``nx-27017`` (a MongoDB wire-protocol
server over SQLite, installed from PyPI) on a free local port with its data file under the
project, much as Django defaults to SQLite. Production sets ``ROCKETJOB_MONGODB_URL`` and never
starts it.

This module runs one server process; :mod:`rocketjob.embedded_shared` shares one server between
the processes of a project.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pymongo

from rocketjob.exceptions import EmbeddedServerError

logger = logging.getLogger(__name__)

DATA_FILE = "rocketjob.sqlite3"
START_TIMEOUT_SECONDS = 20.0


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_command() -> list[str]:
    executable = shutil.which(
        "nx-27017",
        path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    if executable is None:
        raise EmbeddedServerError(
            "the embedded server needs the nx-27017 package (pip install nx-27017), "
            "or configure ROCKETJOB_MONGODB_URL to use a real MongoDB"
        )
    return [executable]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM it when its parent dies (elsewhere a
    no-op; the parent's own stop() still applies). Linux ties this to the thread that
    started the child, so start servers from a thread that lives as long as they should."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def wait_until_reachable(url: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Block until a MongoDB-protocol server answers ping at ``url``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        client: pymongo.MongoClient = pymongo.MongoClient(url, serverSelectionTimeoutMS=300)
        try:
            client.admin.command("ping")
            return
        except pymongo.errors.PyMongoError as exc:
            last_error = exc
            time.sleep(0.05)
        finally:
            client.close()
    raise EmbeddedServerError(f"no MongoDB-protocol server answered at {url}: {last_error}")


@dataclass
class EmbeddedServer:
    """One nx-27017 process. ``data`` is a file path, or ``"memory"`` for a RAM database."""

    data: str
    port: int = 0
    work_dir: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    def start(self, detach: bool = False) -> EmbeddedServer:
        """Start the server and wait until it answers; ``detach`` puts it in its own session."""
        self.port = self.port or free_port()
        work_dir = Path(self.work_dir or (Path(self.data).parent if self.data != "memory" else "."))
        work_dir.mkdir(parents=True, exist_ok=True)
        # nx-27017 refuses to start a second instance with the same PID file.
        pid_file = work_dir / f"nx-27017-{self.port}.pid"
        log_file = work_dir / f"nx-27017-{self.port}.log"
        command = [
            *_server_command(),
            "--db",
            self.data,
            "--port",
            str(self.port),
            "--pid-file",
            str(pid_file),
            "--log-file",
            str(log_file),
        ]
        self.process = subprocess.Popen(
            command,
            # Tie the server's life to ours unless it must outlive us: a test run or watchdog
            # that is killed outright must not leave a server behind.
            preexec_fn=None if detach else _die_with_parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=detach,
        )
        try:
            wait_until_reachable(self.url)
        except EmbeddedServerError:
            self.stop()
            raise
        logger.info("embedded server started", extra={"url": self.url, "data": self.data})
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server, giving it ``timeout`` seconds to flush before it is killed."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Kill the server at once (for fault-injection tests)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM a process that is not our child and wait for it to exit (SIGKILL after
    ``timeout``)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
