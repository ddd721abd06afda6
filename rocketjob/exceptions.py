"""The exceptions django-rocketjob raises.

Every error the library raises on purpose derives from :class:`RocketJobError`, so callers
can catch one class. Validation errors also derive from mongoengine's ``ValidationError`` so
code written against mongoengine keeps working.
"""

from __future__ import annotations

import mongoengine


class RocketJobError(Exception):
    """Base class of every error raised by django-rocketjob."""


class ConfigurationError(RocketJobError):
    """The ROCKETJOB settings or environment are invalid."""


class JobValidationError(RocketJobError, mongoengine.ValidationError):
    """A job's fields are invalid; ``errors`` maps field names to messages."""


class UnknownJobFieldError(RocketJobError, ValueError):
    """A job was created with a field its class does not declare."""


class UnknownJobClassError(RocketJobError):
    """A stored job names a class that is not importable in this process.

    Such a job is left untouched in the database: a process that has the class (for example
    a newer deployment) can still load and run it.
    """

    def __init__(self, class_name: str, job_id: object = None) -> None:
        self.class_name = class_name
        self.job_id = job_id
        where = f"job {job_id}" if job_id is not None else "a stored job"
        super().__init__(
            f"{where} has class {class_name!r}, which is not registered in this process: "
            "import the module that defines it (or remove the job)."
        )


class InvalidTransitionError(RocketJobError):
    """An event is not allowed from the job's current state."""

    def __init__(self, job: object, event: str, state: str) -> None:
        self.event = event
        self.state = state
        super().__init__(f"cannot {event} {job!s}: not allowed while it is {state!r}")


class StateConflictError(RocketJobError):
    """Another process changed the job's state first; this transition was not applied."""

    def __init__(self, job: object, event: str, expected: str, actual: str | None) -> None:
        self.event = event
        self.expected = expected
        self.actual = actual
        now = f"it is now {actual!r}" if actual else "it no longer exists"
        super().__init__(
            f"cannot {event} {job!s}: it was expected to be {expected!r} but {now}; "
            "another process changed it first"
        )


class EmbeddedServerError(RocketJobError):
    """The embedded MongoDB-protocol server could not be started or reached."""


class JobClassNameConflictError(RocketJobError):
    """Two job classes with the same name were defined in different modules."""


class TimeLimitExceeded(RocketJobError):
    """A job ran past its ``time_limit``; the worker stopped it (see docs/programmers-guide.md).

    Raised inside the worker thread (``PyThreadState_SetAsyncExc``), so it must be
    constructible without arguments.
    """

    def __init__(self, message: str = "the job ran past its time_limit") -> None:
        super().__init__(message)
