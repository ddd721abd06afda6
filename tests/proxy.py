"""A loopback TCP proxy in front of the test database that can lose the reply to a claim.

It forwards MongoDB wire-protocol messages unchanged in both directions, reading them whole
(the 16-byte header gives each message's length). A request is an ``OP_MSG`` whose section 0
is the command document; the proxy decodes just that to recognise a job claim: a
``findAndModify`` on ``rocketjob_jobs`` whose update sets ``state: "running"`` and a
``worker_name``. When the reply to such a request carries a claimed job and a drop is armed,
the proxy loses it, in one of two ways (``mode``):

* ``"close"``: it closes the client's connection instead of forwarding the reply. The server
  applied the claim; the driver reports a connection error to the worker.
* ``"retry"``: it sends the same request to the server again and forwards the second reply,
  which is what a driver's transparent retry of a retryable write does on a server that does
  not deduplicate the retry: the first execution claimed a job, the worker is told about
  the second (another job, or none).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import bson

OP_MSG = 2013
HEADER = struct.Struct("<iiii")  # messageLength, requestID, responseTo, opCode


@dataclass
class DroppedReply:
    """What the proxy kept from the client: the claimed job's id and the claiming worker."""

    job_id: Any
    worker_name: str


def read_message(sock: socket.socket) -> bytes | None:
    """One whole wire-protocol message, or None when the peer closed."""
    header = _read_exactly(sock, HEADER.size)
    if header is None:
        return None
    length = HEADER.unpack(header)[0]
    body = _read_exactly(sock, length - HEADER.size)
    return None if body is None else header + body


def command_of(message: bytes) -> dict[str, Any] | None:
    """The section-0 document of an ``OP_MSG`` (None for other opcodes)."""
    _, _, _, op_code = HEADER.unpack_from(message)
    if op_code != OP_MSG:
        return None
    offset = HEADER.size + 4  # flagBits
    while offset < len(message):
        kind = message[offset]
        offset += 1
        size = struct.unpack_from("<i", message, offset)[0]
        if kind == 0:
            return bson.decode(message[offset : offset + size])
        offset += size  # kind 1: a document sequence (size covers identifier + documents)
    return None


def is_claim(command: dict[str, Any]) -> bool:
    """A job claim (``rocketjob_jobs``) or a batch slice claim (a ``rocketjob_input`` one)."""
    target = command.get("findAndModify")
    if not isinstance(target, str) or not target.startswith(("rocketjob_jobs", "rocketjob_in")):
        return False
    update = command.get("update")
    changes = update.get("$set", {}) if isinstance(update, dict) else {}
    return changes.get("state") == "running" and "worker_name" in changes


Claims = dict[int, tuple[dict[str, Any], bytes]]


@dataclass
class LosingProxy:
    """Forwards ``127.0.0.1:port`` to ``upstream_port``; the replies to the first
    ``drop_claims`` claims on ``target`` that took something get lost (see ``mode``)."""

    upstream_port: int
    drop_claims: int = 0
    mode: str = "close"
    #: Collection whose claims are lost ("rocketjob_jobs", or a slice collection's prefix).
    target: str = "rocketjob_jobs"
    dropped: list[DroppedReply] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    @property
    def url(self) -> str:
        # directConnection: a replica-set member (SecantusDB, MongoDB) advertises its own
        # address, and the driver would bypass the proxy after the first hello.
        # retryWrites=false: on a replica set the driver re-sends a write whose reply was lost
        # with the same txnNumber and the server answers it from its record, which repairs the
        # loss before the runtime sees it. The case under test is the one the driver cannot
        # repair (retryable writes off, or a standalone server such as nx-27017).
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true&retryWrites=false"

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in list(self._sockets):
                _close(sock)

    # -- plumbing -------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self._sockets.update((client, upstream))
            claims: dict[int, tuple[dict[str, Any], bytes]] = {}
            threading.Thread(
                target=self._requests, args=(client, upstream, claims), daemon=True
            ).start()
            threading.Thread(
                target=self._replies, args=(upstream, client, claims), daemon=True
            ).start()

    def _requests(self, client: socket.socket, upstream: socket.socket, claims: Claims) -> None:
        while (message := read_message(client)) is not None:
            command = command_of(message)
            if (
                command is not None
                and is_claim(command)
                and str(command["findAndModify"]).startswith(self.target)
            ):
                claims[HEADER.unpack_from(message)[1]] = (command, message)
            if not _send(upstream, message):
                break
        self._hang_up(client, upstream)

    def _replies(self, upstream: socket.socket, client: socket.socket, claims: Claims) -> None:
        while (message := read_message(upstream)) is not None:
            request = claims.pop(HEADER.unpack_from(message)[2], None)
            if request is not None and self._lose(request[0], message):
                if self.mode == "close":
                    break
                # The retry: its reply (same responseTo) is forwarded, not examined again.
                if not _send(upstream, request[1]):
                    break
                continue
            if not _send(client, message):
                break
        self._hang_up(client, upstream)

    def _lose(self, request: dict[str, Any], reply: bytes) -> bool:
        claimed = (command_of(reply) or {}).get("value")
        with self._lock:
            if not claimed or self.drop_claims <= 0:
                return False
            self.drop_claims -= 1
            worker = request["update"]["$set"]["worker_name"]
            self.dropped.append(DroppedReply(claimed["_id"], worker))
        return True

    def _hang_up(self, *sockets: socket.socket) -> None:
        with self._lock:
            for sock in sockets:
                _close(sock)
                self._sockets.discard(sock)


def _read_exactly(sock: socket.socket, count: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < count:
        try:
            chunk = sock.recv(count - len(chunks))
        except OSError:
            return None
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@contextlib.contextmanager
def losing_proxy(
    upstream_port: int, drop_claims: int = 1, mode: str = "close", target: str = "rocketjob_jobs"
) -> Iterator[LosingProxy]:
    proxy = LosingProxy(upstream_port, drop_claims=drop_claims, mode=mode, target=target)
    try:
        yield proxy
    finally:
        proxy.close()
