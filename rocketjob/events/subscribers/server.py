"""Server events: forwarded to the supervisor, which acts on them in its main loop."""

from __future__ import annotations

from typing import Any, Protocol

from rocketjob.events.subscriber import Subscriber
from rocketjob.runtime.dump import thread_dump


class Controllable(Protocol):
    def request_pause(self) -> None: ...
    def request_resume(self) -> None: ...
    def request_stop(self, reason: str) -> None: ...
    def request_kill(self) -> None: ...
    def request_refresh(self) -> None: ...


class ServerSubscriber(Subscriber):
    name = "server"

    def __init__(self, supervisor: Controllable) -> None:
        self.supervisor = supervisor

    def on_pause(self, **_: Any) -> None:
        self.supervisor.request_pause()

    def on_resume(self, **_: Any) -> None:
        self.supervisor.request_resume()

    def on_stop(self, **_: Any) -> None:
        self.supervisor.request_stop("stop event")

    def on_kill(self, **_: Any) -> None:
        self.supervisor.request_kill()

    def on_refresh(self, **_: Any) -> None:
        self.supervisor.request_refresh()

    def on_thread_dump(self, **_: Any) -> None:
        thread_dump()
