"""A symlink swapped in between the allow-list check and the open is never read through.

Whoever can write into an allowed directory (e.g. the account dropping files for Dirmon) can
replace a checked file by a symlink to a secret in the moment between the worker's check
and its open. A second process swaps the file and a symlink as fast as it can while this
one keeps opening it through ``open_allowed``: the secret must never come back.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rocketjob.allowed_paths import PathNotAllowedError, open_allowed
from tests.helpers import only_incoming_allowed

SWAPPER = """
import os, sys
directory, secret = sys.argv[1], sys.argv[2]
target = os.path.join(directory, "data.txt")
regular, link = target + ".regular", target + ".link"
while True:
    with open(regular, "w") as f:
        f.write("harmless\\n")
    os.replace(regular, target)
    os.symlink(secret, link)
    os.replace(link, target)
"""


@pytest.fixture
def incoming(tmp_path: Path) -> Iterator[Path]:
    with only_incoming_allowed(tmp_path, "root:SECRET") as allowed:
        yield allowed


def test_a_symlink_swapped_in_between_check_and_open_is_never_read(incoming: Path) -> None:
    swapper = subprocess.Popen(
        [sys.executable, "-c", SWAPPER, str(incoming), str(incoming.parent / "shadow")]
    )
    read = refused = 0
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                with open_allowed(incoming / "data.txt", "file") as stream:
                    content = stream.read()
            except PathNotAllowedError:
                refused += 1
                continue
            except FileNotFoundError:
                continue  # before the swapper's first file
            assert b"SECRET" not in content
            read += 1
    finally:
        swapper.kill()
        swapper.wait()
    assert read > 0 and refused > 0, (read, refused)
