"""Text formats for batch upload and download: lines, csv, psv, json (lines), fixed width.

``get_format(name, **options)`` returns a :class:`~rocketjob.formats.base.Format`; tabular
formats parse rows that the upload names with the header (see :mod:`.header`).
"""

from __future__ import annotations

from typing import Any

from rocketjob.formats.base import Format, RecordWriter, decode_lines, number_lines
from rocketjob.formats.delimited import CsvFormat, PsvFormat
from rocketjob.formats.errors import FormatError
from rocketjob.formats.fixed_width import FixedWidthFormat
from rocketjob.formats.header import ColumnRules, cleanse_default
from rocketjob.formats.json_lines import JsonLinesFormat

FORMATS: dict[str, type[Format]] = {
    "lines": Format,
    "csv": CsvFormat,
    "psv": PsvFormat,
    "json": JsonLinesFormat,
    "fixed": FixedWidthFormat,
}
#: Extensions recognised by ``format="auto"`` (after compression extensions are removed).
EXTENSIONS = {".csv": "csv", ".psv": "psv", ".json": "json", ".jsonl": "json", ".txt": "lines"}


def get_format(name: str | None, **options: Any) -> Format:
    """The format called ``name`` (``None`` means ``lines``)."""
    klass = FORMATS.get(name or "lines")
    if klass is None:
        raise ValueError(f"unknown format {name!r}; expected one of {sorted(FORMATS)}")
    return klass(**options)


def format_for_file_name(file_name: str) -> str:
    """The format implied by a file name, ignoring .gz/.bz2/.zip: ``data.csv.gz`` -> csv."""
    lowered = file_name.lower()
    for suffix in (".gz", ".bz2", ".zip"):
        lowered = lowered.removesuffix(suffix)
    for extension, name in EXTENSIONS.items():
        if lowered.endswith(extension):
            return name
    return "lines"


__all__ = [
    "FORMATS",
    "ColumnRules",
    "CsvFormat",
    "FixedWidthFormat",
    "Format",
    "FormatError",
    "JsonLinesFormat",
    "PsvFormat",
    "RecordWriter",
    "cleanse_default",
    "decode_lines",
    "format_for_file_name",
    "get_format",
    "number_lines",
]
