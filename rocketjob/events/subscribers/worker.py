"""Worker events: stop or kill one worker thread of this server by name."""

from __future__ import annotations

import logging
from typing import Any

from rocketjob.events.subscriber import Subscriber
from rocketjob.runtime.worker_pool import WorkerPool

logger = logging.getLogger(__name__)


class WorkerSubscriber(Subscriber):
    """A stopped or killed worker is replaced by the next rebalance, like a crashed one."""

    name = "worker"

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    def on_stop_worker(self, worker_name: str = "", **_: Any) -> None:
        worker = self.pool.find(worker_name)
        if worker is None:
            logger.warning("no such worker to stop", extra={"worker": worker_name})
            return
        worker.stop()

    def on_kill_worker(self, worker_name: str = "", **_: Any) -> None:
        worker = self.pool.find(worker_name)
        if worker is None:
            logger.warning("no such worker to kill", extra={"worker": worker_name})
            return
        worker.kill()
