"""Fixed width: every line is a sequence of fields of declared widths.

Declare the layout in the category's ``format_options``::

    InputCategory(format="fixed", format_options={"layout": [("name", 10), ("amount", 8)]})

Values are stripped of padding when read and left-justified when written; a value wider than
its field is an error rather than silently truncated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from rocketjob.formats.base import Format, NumberedLines, RecordWriter, strip_newline
from rocketjob.formats.errors import FormatError


def parse_layout(layout: Any) -> list[tuple[str, int]]:
    if not layout:
        raise FormatError("the fixed format needs format_options={'layout': [(name, width)...]}")
    fields: list[tuple[str, int]] = []
    for item in layout:
        name, width = (item["key"], item["size"]) if isinstance(item, dict) else item
        if not isinstance(width, int) or width <= 0:
            raise FormatError(f"fixed layout field {name!r} needs a positive integer width")
        fields.append((str(name), width))
    return fields


class FixedWriter(RecordWriter):
    def __init__(self, out: IO[str], columns: list[str] | None, layout: Any = None) -> None:
        super().__init__(out, columns)
        self.layout = parse_layout(layout)

    def write(self, record: Any) -> None:
        if isinstance(record, str):
            self.out.write(record + "\n")
            return
        values = (
            [record.get(name) for name, _ in self.layout]
            if isinstance(record, dict)
            else list(record)
        )
        parts = []
        for (name, width), value in zip(self.layout, values, strict=False):
            text = "" if value is None else str(value)
            if len(text) > width:
                raise FormatError(f"value {text!r} of {name!r} is wider than {width}")
            parts.append(text.ljust(width))
        self.out.write("".join(parts) + "\n")


class FixedWidthFormat(Format):
    name = "fixed"
    tabular = True

    @property
    def layout(self) -> list[tuple[str, int]]:
        return parse_layout(self.options.get("layout"))

    def columns(self) -> list[str]:
        return [name for name, _ in self.layout]

    def rows(self, lines: NumberedLines) -> Iterator[tuple[int, Any]]:
        layout = self.layout
        total = sum(width for _, width in layout)
        offsets = []
        position = 0
        for _, width in layout:
            offsets.append((position, position + width))
            position += width
        for number, text in lines:
            text = strip_newline(text)
            if not text.strip():
                continue
            if len(text) != total:
                raise FormatError(
                    f"{len(text)} characters, but the fixed layout is {total} wide", line=number
                )
            yield number, [text[a:b].strip() for a, b in offsets]

    def writer(self, out: IO[str], columns: list[str] | None) -> RecordWriter:
        return FixedWriter(out, columns, self.options.get("layout"))
