"""``Supervisor``: the main loop of ``manage.py rocketjob``.

It registers this process's ``Server``, starts the event listener and the worker pool, and
then, every ``heartbeat_seconds``: applies requested state changes (pause, resume), rebalances
the pool (replacing dead threads), writes the heartbeat, and looks for zombie servers. Event
handlers and signal handlers only *request* changes and wake the loop, so every database
write of the supervisor happens on this one thread, where outages are handled in one place.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import PyMongoError

import rocketjob.events.event  # noqa: F401 - registers the events index hook
from rocketjob.conf import RocketJobSettings, get_settings
from rocketjob.connection import ensure_indexes
from rocketjob.events.listener import EventListener
from rocketjob.events.subscriber import Dispatcher
from rocketjob.events.subscribers import LoggerSubscriber, ServerSubscriber, WorkerSubscriber
from rocketjob.metrics import recorder as metrics_recorder
from rocketjob.runtime import health, shutdown
from rocketjob.runtime.backoff import retry_db
from rocketjob.runtime.dump import thread_dump
from rocketjob.runtime.lost_claims import LostClaims
from rocketjob.runtime.server import Server, default_server_name
from rocketjob.runtime.worker_pool import WorkerPool

logger = logging.getLogger(__name__)

#: How long a stopping supervisor waits for claims already sent (see _await_claims_in_flight).
CLAIM_WAIT_SECONDS = 10.0


@dataclass
class SupervisorOptions:
    """What ``manage.py rocketjob`` was asked to run; None means "from settings"."""

    name: str = ""
    max_workers: int | None = None
    include: str | None = None
    exclude: str | None = None
    where: dict[str, Any] | None = None
    #: Seconds to let running jobs finish on shutdown before they are re-queued.
    shutdown_timeout: float = 60.0
    #: Stop when this process's parent is no longer this pid (children of --processes).
    parent_pid: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Supervisor:
    def __init__(
        self, options: SupervisorOptions | None = None, settings: RocketJobSettings | None = None
    ) -> None:
        self.options = options or SupervisorOptions()
        self.settings = settings or get_settings()
        opts, conf = self.options, self.settings
        self.name = opts.name or default_server_name()
        self.max_workers = opts.max_workers or conf.max_workers
        self.include = conf.include_filter if opts.include is None else opts.include
        self.exclude = conf.exclude_filter if opts.exclude is None else opts.exclude
        self.where = conf.where_filter if opts.where is None else opts.where
        self.pool = WorkerPool(
            self.name, self.max_workers, conf, self.include, self.exclude, self.where
        )
        self.server: Server | None = None
        self.state = "starting"
        self.started = threading.Event()
        self.stopped = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._requests: set[str] = set()
        self._stop_reason = ""
        #: Set once a stop is requested; interrupts database retries at start-up.
        self._stopping = threading.Event()
        self._abandon = False
        self._next_zombie_check = 0.0
        self._lost_claims = LostClaims(self.name)

    # -- requests (any thread, signal handlers) -------------------------------------------
    def _request(self, what: str) -> None:
        with self._lock:
            self._requests.add(what)
        self._wake.set()

    def request_pause(self) -> None:
        self._request("pause")

    def request_resume(self) -> None:
        self._request("resume")

    def request_refresh(self) -> None:
        self._request("refresh")

    def request_kill(self) -> None:
        self._stop_reason = self._stop_reason or "kill event"
        self._stopping.set()
        self._request("kill")

    def request_stop(self, reason: str = "requested") -> None:
        """First call: graceful stop. A second call: stop waiting for running jobs."""
        if self._stop_reason:
            self._abandon = True
        self._stop_reason = self._stop_reason or reason
        self._stopping.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return bool(self._stop_reason)

    # -- main loop ------------------------------------------------------------------------
    def run(self) -> None:
        """Run until stopped; re-queues leftover work and unregisters on the way out."""
        shutdown.install(self.request_stop, thread_dump)
        if self.options.parent_pid:
            threading.Thread(
                target=self._watch_parent, name="rocketjob-parent", daemon=True
            ).start()
        listener: EventListener | None = None
        try:
            retry_db(ensure_indexes, "create indexes", self._stopping)
            self.server = retry_db(self._register, "register server", self._stopping)
            listener = retry_db(self._start_listener, "start event listener", self._stopping)
            logger.info(
                "server started",
                extra={"server": self.name, "workers": self.max_workers},
            )
            self.pool.rebalance(stagger=True)
            self._set_state("running")
            self.started.set()
            metrics_recorder.start_for_server()
            self._loop()
        except PyMongoError:
            if not self.stopping:
                raise
        finally:
            self._shutdown(listener)
            shutdown.restore()
            self.stopped.set()

    def _watch_parent(self) -> None:
        """A child of ``--processes`` stops by itself when its parent is gone, at any stage."""
        while not self.stopped.wait(1.0):
            if os.getppid() != self.options.parent_pid:
                self.request_stop("parent process exited")
                return

    def _register(self, state: str = "starting") -> Server:
        return Server.register(
            self.name,
            self.max_workers,
            state=state,
            include_filter=self.include,
            exclude_filter=self.exclude,
            where_filter=json.dumps(self.where, sort_keys=True, default=str) if self.where else "",
        )

    def _start_listener(self) -> EventListener:
        dispatcher = Dispatcher(
            self.name,
            [ServerSubscriber(self), WorkerSubscriber(self.pool), LoggerSubscriber()],
        )
        poll = min(1.0, self.settings.max_poll_seconds)
        return EventListener(dispatcher, poll).start()

    def _loop(self) -> None:
        beat = self.settings.heartbeat_seconds
        next_beat = time.monotonic() + beat
        while not self.stopping:
            self._wake.wait(max(0.0, next_beat - time.monotonic()))
            self._wake.clear()
            if self.stopping:
                break
            self._apply_requests()
            if time.monotonic() >= next_beat or "refresh" in self._take({"refresh"}):
                self._tick()
                next_beat = time.monotonic() + beat

    def _take(self, names: set[str]) -> set[str]:
        with self._lock:
            taken = self._requests & names
            self._requests -= taken
        return taken

    def _apply_requests(self) -> None:
        requests = self._take({"pause", "resume", "kill"})
        if "kill" in requests:
            return
        if "pause" in requests and self.state == "running":
            self.pool.stop()
            self._set_state("paused")
            logger.info("server paused", extra={"server": self.name})
        if "resume" in requests and self.state == "paused":
            self._set_state("running")
            # No stagger: work has been waiting for this resume, so every worker starts now
            # (staggering added up to max_poll_seconds of idle time to a resumed fleet).
            self.pool.rebalance()
            logger.info("server resumed", extra={"server": self.name})

    def _set_state(self, state: str) -> None:
        self.state = state
        if self.server is None:
            return
        try:
            self.server.set_state(state)
        except PyMongoError as exc:
            health.record_failure()
            logger.warning("could not record server state %s: %s", state, exc)

    def _tick(self) -> None:
        """Rebalance, heartbeat, re-queue lost claims, and look for zombies."""
        if self.state == "running":
            self.pool.rebalance()
        try:
            self._heartbeat()
            self._requeue_lost_claims()
            if time.monotonic() >= self._next_zombie_check:
                Server.destroy_zombies(exclude=self.name)
                self._next_zombie_check = time.monotonic() + Server.zombie_seconds() / 2
        except PyMongoError as exc:
            health.record_failure()
            logger.warning("heartbeat failed: %s", exc, extra={"server": self.name})

    def _requeue_lost_claims(self) -> None:
        """Work under our workers' names that none of them holds (see lost_claims)."""
        from rocketjob.job import Job

        self._lost_claims.check(Job, self.pool.alive())

    def _heartbeat(self) -> None:
        assert self.server is not None
        if self.server.send_heartbeat(len(self.pool.alive()), self.pool.active()):
            return
        # Our document is gone: another server judged us a zombie (a long outage or pause)
        # and re-queued our jobs. Register again; completions of jobs we still run will
        # conflict with their new owners and be dropped, never applied twice.
        logger.error("server document was removed; registering again", extra={"server": self.name})
        self.server = self._register(state=self.state)

    # -- shutdown -------------------------------------------------------------------------
    def _shutdown(self, listener: EventListener | None) -> None:
        logger.info("server stopping", extra={"server": self.name, "reason": self._stop_reason})
        self._set_state("stopping")
        self.pool.stop()
        killing = "kill" in self._take({"kill"})
        if killing:
            self.pool.kill()
        timeout = 5.0 if killing else self.options.shutdown_timeout
        self._join_workers(timeout)
        self._await_claims_in_flight(CLAIM_WAIT_SECONDS)  # so leftover names their jobs too
        if listener is not None:
            listener.stop()
        metrics_recorder.stop()  # the last few seconds' numbers, before we unregister
        leftover = self.pool.active()
        if leftover:
            logger.warning(
                "re-queuing jobs still running at shutdown",
                extra={"server": self.name, "jobs": [a.job_id for a in leftover]},
            )
        if self.server is not None:
            try:
                requeued = retry_db(self.server.unregister, "unregister server", timeout=30.0)
                logger.info("server stopped", extra={"server": self.name, "requeued": requeued})
            except PyMongoError as exc:
                logger.error(
                    "could not unregister; other servers will re-queue its jobs as a zombie's",
                    extra={"server": self.name, "error": str(exc)[:500]},
                )

    def _await_claims_in_flight(self, timeout: float) -> None:
        """Let workers still alive after the shutdown timeout finish a claim they have sent.

        A claim is one round trip, not user code, but under load it can land after
        ``unregister`` re-queued this server's jobs: its job would stay running under a server
        that no longer exists until a peer's zombie scan. Waiting for it (bounded) lets
        ``unregister`` re-queue what it took; a worker that sees the stop before it claims
        claims nothing (``Worker._claim``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            worker.claiming_since is not None for worker in self.pool.alive()
        ):
            time.sleep(0.01)

    def _join_workers(self, timeout: float) -> None:
        """Wait for workers to finish, heartbeating so peers do not take us for a zombie."""
        deadline = time.monotonic() + timeout
        next_beat = time.monotonic()
        while self.pool.alive() and time.monotonic() < deadline and not self._abandon:
            if "kill" in self._take({"kill"}):
                self.pool.kill()
                deadline = min(deadline, time.monotonic() + 5.0)
            if time.monotonic() >= next_beat and self.server is not None:
                try:
                    self._heartbeat()
                except PyMongoError:
                    health.record_failure()
                next_beat = time.monotonic() + self.settings.heartbeat_seconds
            self.pool.join(min(0.25, max(0.0, deadline - time.monotonic())))
