"""``WorkerPool``: the supervisor's worker threads, kept at ``max_workers`` by rebalancing."""

from __future__ import annotations

import logging
import threading
import time

from rocketjob.conf import RocketJobSettings
from rocketjob.runtime.claim_filter import ClaimFilter
from rocketjob.runtime.server import ActiveWorker
from rocketjob.runtime.worker import Worker

logger = logging.getLogger(__name__)


class WorkerPool:
    """Worker threads indexed ``0 .. max_workers-1``; each has its own claim filter, since
    throttle exclusions are learned per worker."""

    def __init__(
        self,
        server_name: str,
        max_workers: int,
        settings: RocketJobSettings,
        include: str = "",
        exclude: str = "",
        where: dict | None = None,
    ) -> None:
        self.server_name = server_name
        self.max_workers = max_workers
        self.settings = settings
        self.include = include
        self.exclude = exclude
        self.where = dict(where or {})
        self.workers: dict[int, Worker] = {}
        self.replaced = 0
        # Rebalanced by the supervisor and, for an abandoned worker, by a watchdog thread.
        self._lock = threading.RLock()
        self._running = False

    def rebalance(self, stagger: bool = False) -> int:
        """Drop dead threads and start new ones up to ``max_workers``; returns how many started.

        ``stagger`` spreads the first polls of a fresh pool over ``max_poll_seconds`` so a
        fleet that starts together does not hit the database in one burst.
        """
        with self._lock:
            self._running = True
            return self._rebalance(stagger)

    def _rebalance(self, stagger: bool) -> int:
        for index, worker in list(self.workers.items()):
            if not worker.is_alive():
                del self.workers[index]
                if worker.crashed is not None or worker.killed:
                    self.replaced += 1
                    logger.warning(
                        "replacing worker thread",
                        extra={
                            "worker": worker.name,
                            "reason": "killed" if worker.killed else repr(worker.crashed),
                        },
                    )
        started = 0
        for index in range(self.max_workers):
            if index in self.workers:
                continue
            delay = 0.0
            if stagger:
                delay = index * self.settings.max_poll_seconds / self.max_workers
            claim_filter = ClaimFilter(include=self.include, exclude=self.exclude, where=self.where)
            worker = Worker(
                self.server_name, index, self.settings, claim_filter, delay, self.replace_abandoned
            )
            self.workers[index] = worker.start()
            started += 1
        return started

    def replace_abandoned(self, worker: Worker) -> None:
        """Give an abandoned worker's slot (stuck past a time limit) to a new thread now."""
        with self._lock:
            if self.workers.get(worker.index) is not worker:
                return
            del self.workers[worker.index]
            self.replaced += 1
            logger.warning("replacing abandoned worker thread", extra={"worker": worker.name})
            if self._running:
                self._rebalance(stagger=False)

    def stop(self) -> None:
        """Ask every worker to exit after its current job."""
        with self._lock:
            self._running = False
            workers = list(self.workers.values())
        for worker in workers:
            worker.stop()

    def kill(self) -> int:
        """Raise WorkerKilled in every live worker; returns how many were signalled."""
        return sum(1 for worker in self.alive() if worker.kill())

    def find(self, worker_name: str) -> Worker | None:
        for worker in self.workers.values():
            if worker.name == worker_name:
                return worker
        return None

    def alive(self) -> list[Worker]:
        return [w for w in self.workers.values() if w.is_alive()]

    def active(self) -> list[ActiveWorker]:
        """The busy workers and their jobs, for the heartbeat."""
        busy = []
        for worker in self.alive():
            current = worker.current
            if current is not None:
                busy.append(
                    ActiveWorker(
                        worker_name=worker.name,
                        job_id=current.job_id,
                        job_class=current.job_class,
                        started_at=current.started_at,
                    )
                )
        return busy

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for all workers to exit; True when none is left."""
        deadline = time.monotonic() + timeout
        for worker in self.alive():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            worker.join(remaining)
        return not self.alive()
