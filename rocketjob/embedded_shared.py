"""One embedded server shared by every process of a project.

The web server and each ``manage.py rocketjob`` process must use the same server, or claims
would not be atomic. The first process to need it starts a small **watchdog** process in its
own session; the watchdog runs nx-27017 and records ``{pid, port}`` in ``server.json``. Every
process that uses the server registers its pid in ``clients/``. The watchdog stops the server
once no registered client has been alive for a few seconds, so a client that dies without
running its exit hooks (SIGKILL, or SIGTERM to a process with no handler) cannot leave a
server behind. A process that exits normally unregisters and, when it was the last client,
stops the watchdog at once. All bookkeeping happens under an exclusive file lock, so
processes starting at the same moment cannot start two servers.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rocketjob.embedded import (
    DATA_FILE,
    EmbeddedServer,
    _pid_alive,
    free_port,
    stop_pid,
    wait_until_reachable,
)

#: How long the watchdog keeps a server with no live client before stopping it.
IDLE_GRACE_SECONDS = 3.0
_watchdogs: dict[Path, subprocess.Popen[bytes]] = {}


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
    """Pids of registered clients that are still alive; dead ones are pruned."""
    clients = data_dir / "clients"
    clients.mkdir(exist_ok=True)
    alive = []
    for entry in clients.iterdir():
        if not entry.name.isdigit():
            continue
        if _pid_alive(int(entry.name)):
            alive.append(int(entry.name))
        else:
            entry.unlink(missing_ok=True)
    return alive


def ensure_shared_server(data_dir: str | Path) -> str:
    """Return the URL of this project's embedded server, starting it if nobody has, and
    register the calling process as a client (unregistered at exit)."""
    data_dir = Path(data_dir)
    with _locked(data_dir):
        state = _read_state(data_dir)
        if state is None:
            port = free_port()
            watchdog = subprocess.Popen(
                [sys.executable, "-m", "rocketjob.embedded_shared", str(data_dir), str(port)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            _watchdogs[data_dir] = watchdog
            state = {"pid": watchdog.pid, "port": port}
            (data_dir / "server.json").write_text(json.dumps(state))
        (data_dir / "clients").mkdir(exist_ok=True)
        (data_dir / "clients" / str(os.getpid())).touch()
    atexit.register(release_shared_server, data_dir)
    url = f"mongodb://127.0.0.1:{state['port']}"
    wait_until_reachable(url)
    return url


def release_shared_server(data_dir: str | Path) -> None:
    """Unregister this process; stop the shared server now if no other client is alive."""
    data_dir = Path(data_dir)
    with _locked(data_dir):
        (data_dir / "clients" / str(os.getpid())).unlink(missing_ok=True)
        if _live_clients(data_dir):
            return
        state = _read_state(data_dir)
    if state is None:
        return
    own = _watchdogs.pop(data_dir, None)
    if own is not None:
        own.terminate()
        own.wait(30)
    else:
        stop_pid(int(state["pid"]), timeout=30)


def serve(data_dir: Path, port: int) -> None:
    """The watchdog: run the server until no client has been alive for a grace period."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server = EmbeddedServer(data=str(data_dir / DATA_FILE), work_dir=str(data_dir), port=port)
    server.start()
    idle_since: float | None = None
    try:
        while not stopping.wait(0.5):
            if server.process is None or server.process.poll() is not None:
                break
            with _locked(data_dir):
                alive = _live_clients(data_dir)
            if alive:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_GRACE_SECONDS:
                break
    finally:
        server.stop()
        with _locked(data_dir):
            state = _read_state(data_dir)
            if state is None or state.get("pid") == os.getpid():
                (data_dir / "server.json").unlink(missing_ok=True)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]))
