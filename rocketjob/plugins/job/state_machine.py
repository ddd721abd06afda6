"""The job state machine: states, events and their built-in effects.

The transition table is declared with the ``transitions`` package (one ``Machine`` per job
class, built lazily, with no model attached: attaching a machine to every loaded document
would cost more than the job itself). :meth:`StateMachineMixin.fire` resolves the transition
from that table, runs callbacks and effects, and persists the change with a single atomic
``find_one_and_update`` whose filter requires the state the transition started from. Two
processes racing on one job therefore cannot both apply a transition: the loser gets
:class:`~rocketjob.exceptions.StateConflictError` and its in-memory copy is reloaded.
"""

from __future__ import annotations

from typing import Any, ClassVar

from transitions import Machine

from rocketjob import signals
from rocketjob.exceptions import InvalidTransitionError
from rocketjob.plugins.job.model import STATES, JobException, utc_now

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "start", "source": "queued", "dest": "running"},
    {"trigger": "complete", "source": "running", "dest": "completed"},
    # A job paused after perform's last checkpoint, whose worker finished it (worker.py).
    {"trigger": "complete", "source": "paused", "dest": "completed", "conditions": "is_held"},
    {"trigger": "fail", "source": ["queued", "running", "paused"], "dest": "failed"},
    {"trigger": "retry", "source": "failed", "dest": "queued"},
    {"trigger": "pause", "source": "queued", "dest": "paused"},
    {"trigger": "pause", "source": "running", "dest": "paused", "conditions": "is_pausable"},
    {"trigger": "resume", "source": "paused", "dest": "running", "conditions": "has_started"},
    {"trigger": "resume", "source": "paused", "dest": "queued", "unless": "has_started"},
    {"trigger": "abort", "source": ["running", "queued", "failed", "paused"], "dest": "aborted"},
    {
        "trigger": "requeue",
        "source": "running",
        "dest": "queued",
        "conditions": "is_owned_by_server",
    },
]
EVENTS = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS))
_SIGNALS = {
    "start": signals.job_started,
    "complete": signals.job_completed,
    "fail": signals.job_failed,
    "retry": signals.job_retried,
    "pause": signals.job_paused,
    "resume": signals.job_resumed,
    "abort": signals.job_aborted,
    "requeue": signals.job_requeued,
}


class StateMachineMixin:
    """Events ``start complete fail retry pause resume abort requeue`` as methods."""

    #: Subclasses (e.g. Batch) may extend or replace this table.
    rocketjob_transitions: ClassVar[list[dict[str, Any]]] = TRANSITIONS
    _rocketjob_machines: ClassVar[dict[type, Machine]] = {}

    state: str
    pausable: bool

    @classmethod
    def rocketjob_machine(cls) -> Machine:
        machine = cls._rocketjob_machines.get(cls)
        if machine is None:
            machine = Machine(
                model=None,
                states=list(STATES),
                transitions=cls.rocketjob_transitions,
                initial="queued",
                auto_transitions=False,
            )
            cls._rocketjob_machines[cls] = machine
        return machine

    # -- conditions -----------------------------------------------------------------------
    def is_pausable(self, **_: Any) -> bool:
        # A running plain job stops only at its checkpoints (see interrupt.py).
        return bool(self.pausable) and bool(getattr(self, "checkpoints", False))

    def is_held(self, **_: Any) -> bool:
        return getattr(self, "worker_name", None) is not None

    def has_started(self, **_: Any) -> bool:
        return getattr(self, "started_at", None) is not None

    def is_owned_by_server(self, server_name: str = "", **_: Any) -> bool:
        worker = getattr(self, "worker_name", None) or ""
        return bool(server_name) and (worker == server_name or worker.startswith(server_name + ":"))

    # -- resolution -----------------------------------------------------------------------
    def rocketjob_destination(self, event: str, **kwargs: Any) -> str | None:
        """The state ``event`` would move the job to now, or None if it is not allowed."""
        for transition in self.rocketjob_machine().get_transitions(event, self.state):
            if all(
                bool(getattr(self, str(c.func))(**kwargs)) == c.target
                for c in transition.conditions
            ):
                return str(transition.dest)
        return None

    def may(self, event: str, **kwargs: Any) -> bool:
        """Whether ``event`` is allowed from the current state."""
        return self.rocketjob_destination(event, **kwargs) is not None

    def allowed_events(self) -> list[str]:
        """Every event allowed now (``requeue`` needs a server name, so it is left out)."""
        return [e for e in EVENTS if e != "requeue" and self.may(e)]

    # -- firing ---------------------------------------------------------------------------
    def fire(
        self,
        event: str,
        *,
        persist: bool = True,
        precondition: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Apply ``event``: before callbacks, effects, atomic save, after callbacks."""
        destination = self.rocketjob_destination(event, **kwargs)
        if destination is None:
            raise InvalidTransitionError(self, event, self.state)
        self.rocketjob_run_callbacks("before", event)  # type: ignore[attr-defined]
        source = self.state
        getattr(self, f"rocketjob_effect_{event}")(**kwargs)
        self.state = destination
        if persist:
            expected = {"state": source, **(precondition or {})}
            self.rocketjob_persist_transition(event, expected)  # type: ignore[attr-defined]
        self.rocketjob_after_transition(event, persisted=persist)

    def rocketjob_after_transition(self, event: str, persisted: bool = True) -> None:
        """Everything that follows an applied transition: after callbacks, the signal, and
        (when it was saved) the after-save work. Public so that a worker that saved a
        transition on a later attempt (after a database outage) can finish it the same way."""
        self.rocketjob_run_callbacks("after", event)  # type: ignore[attr-defined]
        sig = _SIGNALS[event]
        if sig.has_listeners(type(self)):
            sig.send(sender=type(self), job=self)
        if persisted:
            self.rocketjob_after_persisted(event)

    def rocketjob_after_persisted(self, event: str) -> None:
        """Work that must follow a saved transition (destroy on complete)."""
        destroyed = getattr(self, "rocketjob_destroyed", False)
        if event == "complete" and getattr(self, "destroy_on_complete", False) and not destroyed:
            self.delete()  # type: ignore[attr-defined]

    # -- built-in effects -----------------------------------------------------------------
    def rocketjob_effect_start(self, worker_name: str | None = None, **_: Any) -> None:
        self.started_at = utc_now()
        self.worker_name = worker_name
        self.throttled_by = None
        self.throttled_at = None

    def rocketjob_effect_complete(self, **_: Any) -> None:
        self.completed_at = utc_now()
        self.percent_complete = 100

    def rocketjob_effect_fail(
        self, exception: BaseException | None = None, worker_name: str | None = None, **_: Any
    ) -> None:
        self.completed_at = utc_now()
        self.failure_count = (self.failure_count or 0) + 1
        if exception is None:
            exception = RuntimeError("failed by a user")
        self.exception = JobException.from_exception(exception, worker_name=worker_name)

    def rocketjob_effect_retry(self, **_: Any) -> None:
        self.exception = None
        self.completed_at = None
        self.percent_complete = self.rocketjob_restart_percent()

    def rocketjob_effect_pause(self, **_: Any) -> None:
        self.completed_at = utc_now()

    def rocketjob_effect_resume(self, **_: Any) -> None:
        self.completed_at = None

    def rocketjob_effect_abort(self, **_: Any) -> None:
        self.completed_at = utc_now()

    def rocketjob_effect_requeue(self, **_: Any) -> None:
        self.worker_name = None
        self.started_at = None
        self.percent_complete = self.rocketjob_restart_percent()

    def rocketjob_restart_percent(self) -> int:
        """Progress of a job going back to the queue: a plain job's perform starts over, so
        its earlier progress is stale (batch jobs override this: their done slices stay)."""
        return 0

    # -- the events themselves ------------------------------------------------------------
    def start(self, worker_name: str | None = None) -> None:
        """queued -> running."""
        self.fire("start", worker_name=worker_name)

    def complete(self) -> None:
        """running -> completed (destroyed when ``destroy_on_complete``)."""
        self.fire("complete")

    def fail(self, exception: BaseException | None = None, worker_name: str | None = None) -> None:
        """queued, running or paused -> failed, recording the exception."""
        self.fire("fail", exception=exception, worker_name=worker_name)

    def retry(self) -> None:
        """failed -> queued."""
        self.fire("retry")

    def pause(self) -> None:
        """queued -> paused, or running -> paused when the job is pausable."""
        self.fire("pause")

    def resume(self) -> None:
        """paused -> running if it had started, else paused -> queued."""
        self.fire("resume")

    def abort(self) -> None:
        """running, queued, failed or paused -> aborted."""
        self.fire("abort")

    def requeue(self, server_name: str) -> None:
        """running -> queued, only if ``server_name``'s worker was running it."""
        self.fire("requeue", server_name=server_name)

    # Declared for type checkers; the fields come from JobModel.
    started_at: Any
    completed_at: Any
    worker_name: Any
    throttled_by: Any
    throttled_at: Any
    percent_complete: Any
    failure_count: Any
    exception: Any
