"""The MongoDB-protocol server the test suite talks to.

``ROCKETJOB_TEST_MONGODB_URL`` points the suite at a real MongoDB (any deployment; each test
uses a database of its own). Without it, one embedded nx-27017 server is started per test
session on a free port and stopped at exit. Worker subprocesses started by tests inherit the
variable, so they share the session's server.
"""

from __future__ import annotations

import atexit
import os
import tempfile

from rocketjob.embedded import EmbeddedServer

ENV = "ROCKETJOB_TEST_MONGODB_URL"


def test_server_url() -> str:
    url = os.environ.get(ENV)
    if url:
        return url.rstrip("/")
    work_dir = tempfile.mkdtemp(prefix="rocketjob-test-server-")
    server = EmbeddedServer(data="memory", work_dir=work_dir).start()
    atexit.register(server.stop)
    os.environ[ENV] = server.url
    return server.url
