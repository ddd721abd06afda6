"""Mission Control and the management commands change state only through core methods.

A raw collection write outside the core skips the preconditions, callbacks and query rules
that the core applies (state checks, slice clean-up, rocketjob.queries); each such write
belongs in a named method of the model it changes. This scans the source with ``ast`` for
calls of pymongo's write methods.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE_THE_CORE = [ROOT / "mission_control", ROOT / "rocketjob" / "management"]
WRITES = {
    "bulk_write",
    "delete_many",
    "delete_one",
    "drop",
    "find_one_and_delete",
    "find_one_and_replace",
    "find_one_and_update",
    "insert_many",
    "insert_one",
    "replace_one",
    "update_many",
    "update_one",
}


def raw_writes(source: str) -> list[tuple[int, str]]:
    """(line, method) of each call of a pymongo write method in ``source``."""
    return [
        (node.lineno, node.func.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITES
    ]


def test_the_scan_finds_a_raw_write() -> None:
    source = 'Job._get_collection().delete_one({"_id": 1})\nrow.job.delete()\n'
    assert raw_writes(source) == [(1, "delete_one")]


def test_no_raw_collection_write_outside_the_core() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} {method}"
        for folder in OUTSIDE_THE_CORE
        for path in sorted(folder.rglob("*.py"))
        for line, method in raw_writes(path.read_text())
    ]
    assert found == []
