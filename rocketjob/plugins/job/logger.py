"""Per-job logging: a logger bound to the job's class and id that honours ``log_level``.

Python log levels belong to loggers, not threads, so a job's ``log_level`` cannot be applied
by changing a shared logger without affecting every other worker thread. Instead each job gets
a ``LoggerAdapter`` that checks the job's own level first and adds ``job_class``/``job_id`` to
every record (structured fields for JSON formatters).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any


class JobLoggerAdapter(logging.LoggerAdapter[logging.Logger]):
    """Adds job fields to records and applies the job's own ``log_level``."""

    def __init__(self, logger: logging.Logger, job: Any) -> None:
        super().__init__(logger, {})
        self.job = job

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        extra = dict(kwargs.get("extra") or {})
        extra.setdefault("job_class", type(self.job).__name__)
        extra.setdefault("job_id", str(self.job.pk) if self.job.pk else None)
        kwargs["extra"] = extra
        return msg, kwargs

    def isEnabledFor(self, level: int) -> bool:
        own = getattr(self.job, "log_level", None)
        if own:
            return level >= logging.getLevelName(own)
        return self.logger.isEnabledFor(level)

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            msg, processed = self.process(msg, kwargs)
            # Logger._log skips the logger's own level check, so a job that asked for a more
            # verbose level than its logger's still gets its records to the handlers.
            self.logger._log(level, msg, args, **processed)

    @contextmanager
    def measure(self, message: str, level: int = logging.INFO) -> Iterator[None]:
        """Log ``message`` with ``duration_ms`` once the block finishes (or raises)."""
        started = time.perf_counter()
        outcome = "completed"
        try:
            yield
        except BaseException:
            outcome = "failed"
            raise
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            self.log(
                level,
                "%s %s in %.3f ms",
                message,
                outcome,
                duration_ms,
                extra={"duration_ms": duration_ms, "outcome": outcome},
            )


class LoggerMixin:
    """``job.logger``: the job's logger (``rocketjob.job.<ClassName>``)."""

    @property
    def logger(self) -> JobLoggerAdapter:
        return JobLoggerAdapter(_class_logger(type(self)), self)


_class_loggers: dict[type, logging.Logger] = {}


def _class_logger(klass: type) -> logging.Logger:
    """``rocketjob.job.<ClassName>``, looked up once per class (``job.logger`` is read several
    times per performed job)."""
    found = _class_loggers.get(klass)
    if found is None:
        found = _class_loggers[klass] = logging.getLogger(f"rocketjob.job.{klass.__name__}")
    return found
