"""Header capture, cleansing and validation for tabular input.

The default cleanser turns a human header into identifiers usable as dict keys and Python
names: ``" First Name "`` -> ``first_name``, ``"Amount ($)"`` -> ``amount``. Required and
allowed column names are cleansed the same way, so they may be declared either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rocketjob.formats.errors import FormatError

_NON_WORD = re.compile(r"[^0-9a-z_]+")


def cleanse_default(name: str) -> str:
    return _NON_WORD.sub("_", name.strip().lower()).strip("_")


def cleanse_none(name: str) -> str:
    return name


CLEANSERS: dict[str, Callable[[str], str]] = {"default": cleanse_default, "none": cleanse_none}


def get_cleanser(name: str) -> Callable[[str], str]:
    try:
        return CLEANSERS[name]
    except KeyError:
        raise ValueError(
            f"unknown header_cleanser {name!r}; expected one of {sorted(CLEANSERS)}"
        ) from None


@dataclass(frozen=True)
class ColumnRules:
    """What a category accepts: required and allowed columns, and what to do with others."""

    required: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    skip_unknown: bool = False
    cleanser: str = "default"

    def apply(self, header: Iterable[str], line: int | None = 1) -> list[str]:
        """The cleansed header; skipped unknown columns become ``""``.

        Raises :class:`FormatError` naming the line for empty or duplicate names, missing
        required columns and (unless ``skip_unknown``) columns that are not allowed.
        """
        cleanse = get_cleanser(self.cleanser)
        columns = [cleanse(str(name)) for name in header]
        allowed = {cleanse(c) for c in self.allowed}
        required = [cleanse(c) for c in self.required]
        unknown = [c for c in columns if allowed and c not in allowed]
        if self.skip_unknown:
            columns = [c if (not allowed or c in allowed) else "" for c in columns]
        elif unknown:
            raise FormatError(
                f"unknown column(s) {unknown}; allowed columns are {sorted(allowed)}", line=line
            )
        named = [c for c in columns if c]
        if not self.skip_unknown and len(named) != len(columns):
            position = columns.index("") + 1
            raise FormatError(f"header column {position} has no name", line=line)
        duplicates = sorted({c for c in named if named.count(c) > 1})
        if duplicates:
            raise FormatError(f"duplicate column(s) {duplicates} in the header", line=line)
        missing = [c for c in required if c not in named]
        if missing:
            raise FormatError(
                f"missing required column(s) {missing}; the header has {named}", line=line
            )
        return columns
