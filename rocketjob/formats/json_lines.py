"""JSON lines: one JSON object per line; records are dicts (no header)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from rocketjob.formats.base import Format, NumberedLines, RecordWriter
from rocketjob.formats.errors import FormatError


class JsonWriter(RecordWriter):
    def write(self, record: Any) -> None:
        if isinstance(record, str):
            self.out.write(record + "\n")
        else:
            self.out.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")


class JsonLinesFormat(Format):
    name = "json"
    writer_class = JsonWriter

    def rows(self, lines: NumberedLines) -> Iterator[tuple[int, Any]]:
        loads = json.loads
        for number, text in lines:
            if not text.strip():
                continue
            try:
                value = loads(text)
            except json.JSONDecodeError as exc:
                raise FormatError(
                    f"invalid JSON: {exc.msg} at column {exc.colno}", line=number
                ) from None
            if not isinstance(value, dict):
                raise FormatError(
                    f"expected a JSON object, got {type(value).__name__}", line=number
                )
            yield number, value
