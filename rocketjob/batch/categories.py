"""Input and output categories: how a batch job's records are sliced, stored and rendered.

Declared on the job class::

    class ImportJob(Batch, Job):
        input_categories = [InputCategory(format="csv", slice_size=500,
                                          required_columns=["email"])]
        output_categories = [OutputCategory(format="csv", columns=["email", "status"]),
                             OutputCategory(name="errors", format="json")]

There is always a ``main`` input category (a default one when none is declared); workers
process its slices. Other input categories are extra data a job may read. **No output
category means no output is stored**: ``perform``'s return value is then ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rocketjob.formats import FORMATS, Format, get_format
from rocketjob.formats.header import CLEANSERS, ColumnRules
from rocketjob.sliced.serializers import SERIALIZER_NAMES

MODES = ("hash", "array", "line")
DEFAULT_SLICE_SIZE = 100


def _check_common(kind: str, name: str, format_name: str | None, serializer: str) -> None:
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"{kind} category name {name!r} must be a non-empty identifier")
    if format_name not in (None, "auto", *FORMATS):
        raise ValueError(
            f"{kind} category {name!r}: unknown format {format_name!r}; "
            f"expected one of {[None, 'auto', *sorted(FORMATS)]}"
        )
    if serializer not in SERIALIZER_NAMES:
        raise ValueError(
            f"{kind} category {name!r}: unknown serializer {serializer!r}; "
            f"expected one of {SERIALIZER_NAMES}"
        )


@dataclass(frozen=True)
class InputCategory:
    """Where uploaded records go and how they reach ``perform``.

    ``format``: None (each line is a record), ``"auto"`` (from the file name), ``csv``,
    ``psv``, ``json`` (JSON lines), ``fixed`` (``format_options={"layout": [...]}``).
    ``mode``: ``hash`` (tabular rows arrive as dicts keyed by the cleansed header),
    ``array`` (rows arrive as lists) or ``line`` (lines arrive unparsed).
    ``columns``: declare the columns when the file has no header line.
    """

    name: str = "main"
    format: str | None = None
    format_options: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None
    serializer: str = "compress"
    slice_size: int = DEFAULT_SLICE_SIZE
    mode: str = "hash"
    required_columns: tuple[str, ...] = ()
    allowed_columns: tuple[str, ...] = ()
    skip_unknown: bool = False
    header_cleanser: str = "default"
    file_name: str | None = None

    def __post_init__(self) -> None:
        _check_common("input", self.name, self.format, self.serializer)
        if not isinstance(self.slice_size, int) or self.slice_size < 1:
            raise ValueError(f"input category {self.name!r}: slice_size must be >= 1")
        if self.mode not in MODES:
            raise ValueError(f"input category {self.name!r}: mode must be one of {MODES}")
        if self.header_cleanser not in CLEANSERS:
            raise ValueError(
                f"input category {self.name!r}: header_cleanser must be one of {sorted(CLEANSERS)}"
            )
        for name in ("columns", "required_columns", "allowed_columns"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def format_for(self, file_name: str | None) -> Format:
        from rocketjob.formats import format_for_file_name

        name = self.format
        if name == "auto":
            name = format_for_file_name(file_name or self.file_name or "")
        return get_format(name, **self.format_options)

    def column_rules(self) -> ColumnRules:
        return ColumnRules(
            required=self.required_columns,
            allowed=self.allowed_columns,
            skip_unknown=self.skip_unknown,
            cleanser=self.header_cleanser,
        )


@dataclass(frozen=True)
class OutputCategory:
    """Where ``perform``'s results go, and how ``download`` renders them.

    ``nils``: keep ``None`` results (rendered as empty lines); by default they are dropped.
    ``columns``: the header and column order of tabular output; without it the keys of the
    first dict record are used.
    """

    name: str = "main"
    format: str | None = None
    format_options: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None
    serializer: str = "compress"
    nils: bool = False
    file_name: str | None = None

    def __post_init__(self) -> None:
        _check_common("output", self.name, self.format, self.serializer)
        if self.columns is not None and not isinstance(self.columns, tuple):
            object.__setattr__(self, "columns", tuple(self.columns))

    def format_for(self, file_name: str | None) -> Format:
        from rocketjob.formats import format_for_file_name

        name = self.format
        if name == "auto":
            name = format_for_file_name(file_name or self.file_name or "")
        return get_format(name, **self.format_options)


@dataclass(frozen=True)
class Result:
    """Return ``Result("errors", value)`` from ``perform`` to write to another category."""

    category: str
    value: Any


class Results(list[Result]):
    """Return several :class:`Result` from one ``perform`` call."""
