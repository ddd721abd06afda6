"""Reading an upload source into numbered records, capturing and checking the header."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from rocketjob.batch.categories import InputCategory
from rocketjob.batch.sources import decompressed, is_path, is_text_stream, open_binary
from rocketjob.formats import Format, FormatError, decode_lines, number_lines
from rocketjob.formats.base import NumberedLines, strip_newline


class RecordReader:
    """Turns a source into (line number or None, record), capturing the header."""

    def __init__(self, category: InputCategory, fmt: Format, columns: Any) -> None:
        self.category = category
        self.format = fmt
        self.columns: list[str] | None = list(columns) if columns else None
        self.from_file = False
        self.header_seen = False

    def from_source(self, source: Any, file_name: str | None, encoding: str) -> Iterator[Any]:
        if is_path(source):
            self.from_file = True
            with open_binary(source) as stream:
                yield from self.parse(decode_lines(stream, encoding))
        elif hasattr(source, "read"):
            self.from_file = True
            if is_text_stream(source):
                yield from self.parse(number_lines(source))
            else:
                with decompressed(source, file_name) as stream:
                    yield from self.parse(decode_lines(stream, encoding))
        else:
            iterator = iter(source)
            first = next(iterator, None)
            if first is None:
                return
            items = itertools.chain([first], iterator)
            if isinstance(first, str):
                yield from self.parse(number_lines(items))
            elif isinstance(first, bytes):
                yield from self.parse(decode_lines(items, encoding))
            else:
                yield from ((None, record) for record in items)

    def parse(self, lines: NumberedLines) -> Iterator[tuple[int, Any]]:
        category, fmt = self.category, self.format
        if category.mode == "line":
            yield from ((number, strip_newline(text)) for number, text in lines)
            return
        rows = fmt.rows(lines)
        if not fmt.tabular:
            yield from self.checked_dicts(rows)
            return
        rules = category.column_rules()
        declared = self.columns or category.columns or getattr(fmt, "columns", lambda: None)()
        if declared:
            self.columns = rules.apply(declared, line=None)
        elif fmt.has_header:
            for number, header in rows:
                self.columns = rules.apply(header, line=number)
                self.header_seen = True
                break
        if self.columns is None:
            return
        width = len(self.columns)
        for number, row in rows:
            if len(row) != width:
                raise FormatError(
                    f"{len(row)} value{'s' if len(row) != 1 else ''}, but the header has "
                    f"{width} columns",
                    line=number,
                )
            yield number, row

    def checked_dicts(self, rows: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        category = self.category
        if not (category.required_columns or category.allowed_columns):
            yield from rows
            return
        rules = category.column_rules()
        for number, record in rows:
            if isinstance(record, dict):
                rules.apply(list(record), line=number)
            yield number, record
