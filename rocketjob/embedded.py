"""The embedded MongoDB-protocol server: the zero-configuration default for development.

When no MongoDB URL is configured, django-rocketjob runs ``nx-27017`` (a MongoDB wire-protocol
server over SQLite, installed from PyPI) on a free local port with its data file under the
project, much as Django defaults to SQLite. Production sets ``ROCKETJOB_MONGODB_URL`` and never
starts it.

Several processes of one project (the web server, ``manage.py rocketjob`` workers) must share
one server, or atomic claims would not be atomic. So the first process starts the server in
its own session and records ``{pid, port}`` in ``server.json``; every process registers itself
in ``clients/`` and the last one to exit stops the server. All of this happens under an
exclusive file lock, so processes starting at the same moment cannot start two servers.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _read_state(data_dir: Path) -> dict[str, int] | None:
    try:
        state = json.loads((data_dir / "server.json").read_text())
    except (OSError, ValueError):
        return None
    return state if _pid_alive(int(state.get("pid", 0))) else None


def _live_clients(data_dir: Path) -> list[int]:
    clients = data_dir / "clients"
    clients.mkdir(exist_ok=True)
    alive = []
    for entry in clients.iterdir():
        if entry.name.isdigit() and _pid_alive(int(entry.name)) and int(entry.name) != os.getpid():
            alive.append(int(entry.name))
        elif entry.name.isdigit() and int(entry.name) != os.getpid():
            entry.unlink(missing_ok=True)
    return alive


# Servers this process started, kept referenced so the Popen is reaped when stopped.
_started: dict[Path, EmbeddedServer] = {}


def ensure_shared_server(data_dir: str | Path) -> str:
    """Return the URL of this project's embedded server, starting it if nobody has.

    The calling process is registered as a client; at exit it unregisters and, when it is the
    last client, stops the server.
    """
    data_dir = Path(data_dir)
    with _locked(data_dir):
        state = _read_state(data_dir)
        if state is None:
            server = EmbeddedServer(data=str(data_dir / DATA_FILE), work_dir=str(data_dir))
            server.start(detach=True)
            assert server.process is not None
            _started[data_dir] = server
            state = {"pid": server.process.pid, "port": server.port}
            (data_dir / "server.json").write_text(json.dumps(state))
        (data_dir / "clients").mkdir(exist_ok=True)
        (data_dir / "clients" / str(os.getpid())).touch()
    atexit.register(release_shared_server, data_dir)
    url = f"mongodb://127.0.0.1:{state['port']}"
    wait_until_reachable(url)
    return url


def release_shared_server(data_dir: str | Path) -> None:
    """Unregister this process; stop the shared server if no other client is alive."""
    data_dir = Path(data_dir)
    with _locked(data_dir):
        (data_dir / "clients" / str(os.getpid())).unlink(missing_ok=True)
        if _live_clients(data_dir):
            return
        state = _read_state(data_dir)
        own = _started.pop(data_dir, None)
        if own is not None and own.process is not None and state is not None:
            own.stop()
        elif state is not None:
            stop_pid(int(state["pid"]))
        (data_dir / "server.json").unlink(missing_ok=True)


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM a server process and wait for it to exit (SIGKILL after ``timeout``)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
