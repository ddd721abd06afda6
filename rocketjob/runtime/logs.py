"""Logging for ``manage.py rocketjob``: one line per record, structured fields as key=value.

Only configured when the project has not configured logging for ``rocketjob`` itself (or the
root logger), so a project's own LOGGING setting (JSON formatters, Sentry) always wins.
"""

from __future__ import annotations

import logging
import sys

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    """``2026-01-01 12:00:00,000 INFO rocketjob-worker-0 rocketjob.job.X: msg key=value``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        if not extras:
            return text
        fields = " ".join(f"{key}={value!r}" for key, value in sorted(extras.items()))
        if "\n" in text:
            head, _, rest = text.partition("\n")
            return f"{head} {fields}\n{rest}"
        return f"{text} {fields}"


def configure(level: str) -> None:
    """Set the ``rocketjob`` logger's level; add a stderr handler if nothing logs it yet."""
    package = logging.getLogger("rocketjob")
    package.setLevel(level.upper())
    if package.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    package.addHandler(handler)
