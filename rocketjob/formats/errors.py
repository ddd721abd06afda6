"""The error every format raises for bad input: it names the line (and record) at fault."""

from __future__ import annotations

from rocketjob.exceptions import RocketJobError


class FormatError(RocketJobError, ValueError):
    """Input that cannot be parsed, or output that cannot be rendered.

    ``line`` is the 1-based physical line of the input where the bad record starts (None when
    the input is not line based); ``record_number`` the 1-based record, when known.
    """

    def __init__(
        self, message: str, *, line: int | None = None, record_number: int | None = None
    ) -> None:
        self.line = line
        self.record_number = record_number
        self.reason = message
        where = f"line {line}: " if line is not None else ""
        if record_number is not None and line is None:
            where = f"record {record_number}: "
        super().__init__(where + message)
