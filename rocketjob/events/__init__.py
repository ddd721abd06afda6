"""Events: commands to running servers over MongoDB (pause, resume, stop, kill, ...).

Publish from anywhere (Mission Control, a shell, ``manage.py rocketjob --pause``)::

    from rocketjob.events import publish
    publish("pause")                                  # every server
    publish("stop", server_name="web1:4242")          # one server
    publish("kill_worker", worker_name="web1:4242:3") # one worker thread
    publish("set_log_level", level="DEBUG")

Each running supervisor polls ``rocketjob_events`` and dispatches the events addressed to it
to its subscribers (``rocketjob.events.subscribers``).
"""

from __future__ import annotations

from typing import Any

#: action -> subscriber that handles it.
ACTIONS: dict[str, str] = {
    "pause": "server",
    "resume": "server",
    "stop": "server",
    "kill": "server",
    "thread_dump": "server",
    "refresh": "server",
    "stop_worker": "worker",
    "kill_worker": "worker",
    "set_log_level": "logger",
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def publish(action: str, server_name: str | None = None, **parameters: Any) -> Any:
    """Store an event for ``server_name`` (None: all servers); returns the saved Event.

    A worker action without ``server_name`` is addressed to the server owning
    ``worker_name``. Bad input raises ValueError naming what is wrong.
    """
    from rocketjob.events.event import Event
    from rocketjob.runtime.server import server_of_worker

    subscriber = ACTIONS.get(action)
    if subscriber is None:
        raise ValueError(f"unknown event action {action!r}; expected one of {sorted(ACTIONS)}")
    if subscriber == "worker":
        worker_name = parameters.get("worker_name")
        owner = server_of_worker(worker_name)
        if owner is None:
            raise ValueError(
                f"{action} needs worker_name='<server name>:<index>', got {worker_name!r}"
            )
        server_name = server_name or owner
    if action == "set_log_level":
        level = str(parameters.get("level", "")).upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"set_log_level needs level in {LOG_LEVELS}, got {level!r}")
        parameters["level"] = level
    event = Event(
        subscriber=subscriber, action=action, server_name=server_name, parameters=parameters
    )
    event.save(force_insert=True)
    return event


__all__ = ["ACTIONS", "LOG_LEVELS", "publish"]
