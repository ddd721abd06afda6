"""CSV and PSV (pipe separated values).

CSV is parsed by the standard library's C reader in ``strict`` mode so that malformed quoting
is an error rather than silently merged fields. The reader consumes numbered lines, so every
error names the line where the offending record starts: an unbalanced quote swallows the rest
of the file, and is reported at the line where the quote was opened.

PSV has no quoting at all: a value never contains ``|`` (it is replaced by ``:`` when
rendered) nor a newline, which makes it trivial to split and to grep.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, Any

from rocketjob.formats.base import Format, NumberedLines, RecordWriter, strip_newline
from rocketjob.formats.errors import FormatError

#: The stdlib's default limit is 128 KiB per field; a single field may legitimately be larger
#: (the real limit is the 16 MiB document). Raised once, never lowered.
FIELD_SIZE_LIMIT = 64 * 1024 * 1024
if csv.field_size_limit() < FIELD_SIZE_LIMIT:
    csv.field_size_limit(FIELD_SIZE_LIMIT)


def _values(record: Any, columns: list[str] | None) -> list[Any]:
    if isinstance(record, dict):
        if columns is None:
            return list(record.values())
        return ["" if record.get(c) is None else record.get(c) for c in columns]
    if isinstance(record, (list, tuple)):
        return ["" if v is None else v for v in record]
    return [record]


class CsvWriter(RecordWriter):
    def __init__(self, out: IO[str], columns: list[str] | None) -> None:
        super().__init__(out, columns)
        self._csv = csv.writer(out, lineterminator="\n")

    def write_header(self) -> None:
        if self.columns:
            self._csv.writerow(self.columns)

    def write(self, record: Any) -> None:
        if isinstance(record, str):
            self.out.write(record + "\n")  # already rendered by perform
        else:
            self._csv.writerow(_values(record, self.columns))


class CsvFormat(Format):
    name = "csv"
    tabular = True
    has_header = True
    writer_class = CsvWriter

    def rows(self, lines: NumberedLines) -> Iterator[tuple[int, Any]]:
        consumed = [0]

        def texts() -> Iterator[str]:
            for number, text in lines:
                consumed[0] = number
                yield text

        delimiter = self.options.get("delimiter", ",")
        reader = csv.reader(texts(), delimiter=delimiter, strict=True)
        start = 1
        while True:
            start = consumed[0] + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FormatError(_explain(str(exc)), line=start) from None
            if row:  # blank lines are skipped
                yield start, row


def _explain(message: str) -> str:
    if "unexpected end of data" in message or "EOF" in message:
        return "unbalanced quotes: a quoted field opened on this line is never closed"
    return f"malformed CSV: {message}"


class PsvWriter(RecordWriter):
    def write_header(self) -> None:
        if self.columns:
            self.out.write("|".join(self.columns) + "\n")

    def write(self, record: Any) -> None:
        if isinstance(record, str):
            self.out.write(record + "\n")
            return
        cleaned = (
            str(v).replace("|", ":").replace("\r", " ").replace("\n", " ")
            for v in _values(record, self.columns)
        )
        self.out.write("|".join(cleaned) + "\n")


class PsvFormat(Format):
    name = "psv"
    tabular = True
    has_header = True
    writer_class = PsvWriter

    def rows(self, lines: NumberedLines) -> Iterator[tuple[int, Any]]:
        for number, text in lines:
            text = strip_newline(text)
            if text:
                yield number, text.split("|")
