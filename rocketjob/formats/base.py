"""The format interface, and line decoding that names the line of an encoding error.

A format parses numbered text lines into rows and renders records back to text. Decoding
happens line by line (not in a ``TextIOWrapper``) so that bytes which are not valid in the
declared encoding are reported with their line number instead of a byte offset into a buffer.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from typing import IO, Any

from rocketjob.formats.errors import FormatError

NumberedLines = Iterator[tuple[int, str]]


def decode_lines(stream: IO[bytes] | Iterable[bytes], encoding: str = "utf-8") -> NumberedLines:
    """(line number, text) for each line of a binary stream; a leading BOM is dropped."""
    codecs.lookup(encoding)  # an unknown encoding fails before anything is read
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8) and encoding.startswith("utf"):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield number, raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"not valid {encoding} (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                "pass the file's encoding, e.g. format_options={'encoding': 'latin-1'}",
                line=number,
            ) from None


def number_lines(lines: Iterable[str]) -> NumberedLines:
    """(line number, text) for text lines (from a text file or any iterable of strings)."""
    for number, text in enumerate(lines, start=1):
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        yield number, text


def strip_newline(text: str) -> str:
    if text.endswith("\n"):
        text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
    return text


class RecordWriter:
    """Renders records of one format to a text stream, one line each."""

    def __init__(self, out: IO[str], columns: list[str] | None) -> None:
        self.out = out
        self.columns = columns

    def write_header(self) -> None:
        """Formats with a header write it here (called once, before the first record)."""

    def write(self, record: Any) -> None:
        self.out.write(f"{record}\n")


class Format:
    """A text format: how lines become rows and records become lines.

    ``tabular`` formats produce rows (lists of values) named by columns taken from a header
    line (``has_header``) or declared; other formats produce complete records.
    """

    name = "lines"
    tabular = False
    has_header = False
    writer_class: type[RecordWriter] = RecordWriter

    def __init__(self, **options: Any) -> None:
        self.options = options

    def rows(self, lines: NumberedLines) -> Iterator[tuple[int, Any]]:
        """(line number where the record starts, parsed record)."""
        for number, text in lines:
            yield number, strip_newline(text)

    def writer(self, out: IO[str], columns: list[str] | None) -> RecordWriter:
        return self.writer_class(out, columns)
