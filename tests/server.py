"""The MongoDB-protocol server the test suite talks to, and which kind of server it is.

Three kinds, chosen by the environment of the pytest run:

- ``nx`` (the default): one embedded nx-27017 server, as users get it, started per test
  session on a free port and stopped at exit.
- ``secantus`` (``ROCKETJOB_TEST_SERVER=secantus``): one SecantusDB server (a
  MongoDB-compatible server on WiredTiger; ``pip install secantusdb``, a test tool only and
  never a dependency of the package) started the same way, in memory.
- ``mongodb``: ``ROCKETJOB_TEST_MONGODB_URL`` points the suite at a server the user runs,
  which is taken to be a real MongoDB (any deployment).

Each test uses a database of its own. Worker subprocesses started by tests inherit
``ROCKETJOB_TEST_MONGODB_URL``, so they share the session's server. The harness knows what it
started, so tests ask :func:`test_server_kind` instead of guessing from server replies; the
markers below make a test's expectation depend on it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from rocketjob.embedded import (
    EmbeddedServer,
    _die_with_parent,
    free_port,
    wait_until_reachable,
)

ENV = "ROCKETJOB_TEST_MONGODB_URL"
SERVER_ENV = "ROCKETJOB_TEST_SERVER"
# Set by the harness once it started a server, so that nested processes know its kind too.
KIND_ENV = "ROCKETJOB_TEST_SERVER_KIND"
KINDS = ("nx", "secantus")


def _start_nx(work_dir: str) -> str:
    server = EmbeddedServer(data="memory", work_dir=work_dir).start()
    atexit.register(server.stop)
    return server.url


def _start_secantus(work_dir: str) -> str:
    executable = shutil.which(
        "secantusd-py",
        path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    if executable is None:
        raise RuntimeError(
            f"{SERVER_ENV}=secantus needs SecantusDB: pip install -r requirements-test-servers.txt"
        )
    port = free_port()
    log = open(Path(work_dir) / f"secantusd-{port}.log", "wb")  # noqa: SIM115 (lives with it)
    process = subprocess.Popen(
        [executable, "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:"],
        preexec_fn=_die_with_parent,  # a killed test run leaves no server behind
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

    atexit.register(stop)
    url = f"mongodb://127.0.0.1:{port}"
    wait_until_reachable(url, timeout=60.0)
    return url


def test_server_url() -> str:
    """The session's server URL, starting the server on first use."""
    url = os.environ.get(ENV)
    if url:
        os.environ.setdefault(KIND_ENV, "mongodb")
        return url.rstrip("/")
    kind = os.environ.get(SERVER_ENV, "nx")
    if kind not in KINDS:
        raise RuntimeError(f"{SERVER_ENV} must be one of {', '.join(KINDS)}, not {kind!r}")
    work_dir = tempfile.mkdtemp(prefix="rocketjob-test-server-")
    url = _start_nx(work_dir) if kind == "nx" else _start_secantus(work_dir)
    os.environ[ENV] = url
    os.environ[KIND_ENV] = kind
    return url


def url_with_database(name: str, url: str | None = None) -> str:
    """``url`` (default: the session's server) naming database ``name``, options kept.

    A URL may carry options (a proxy's ``?directConnection=true``), so the name goes into
    the path rather than being appended to the string.
    """
    parts = urlsplit(url or test_server_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def test_server_kind() -> str:
    """``nx``, ``secantus`` or ``mongodb``: the kind of server the suite runs against."""
    test_server_url()
    return os.environ[KIND_ENV]


def nx_deviation(reason: str = "nx-27017 deviation") -> pytest.MarkDecorator:
    """Mark a test that asserts MongoDB's behaviour where nx-27017 deviates from it.

    Strict: on nx-27017 the test must fail (a fixed release turns it into a failure that says
    the workaround can go); on every other server it runs as a normal test and must pass.
    """
    return pytest.mark.xfail(test_server_kind() == "nx", reason=reason, strict=True)
