"""Built-in subscribers: server (pause/resume/stop/kill/thread_dump/refresh), worker
(stop_worker/kill_worker) and logger (set_log_level)."""

from __future__ import annotations

from rocketjob.events.subscribers.logger import LoggerSubscriber
from rocketjob.events.subscribers.server import ServerSubscriber
from rocketjob.events.subscribers.worker import WorkerSubscriber

__all__ = ["LoggerSubscriber", "ServerSubscriber", "WorkerSubscriber"]
