"""Checking a worker's where-filter (``--where``, the ``where_filter`` setting) at start.

A filter the database cannot run would make every claim fail or, on servers that ignore
unknown operators (the embedded nx-27017 does), match nothing: the supervisor would run
forever without claiming a job. So the filter is checked twice before it is used: its shape
here (operators MongoDB knows, logical operators given lists of queries), then by the
database itself with one ``find`` limited to a single document, whose refusal is reported.
``$where`` (server-side JavaScript) is refused: a worker filter never needs code. A ``$regex``
must compile: the embedded server (which matches it in Python) would otherwise fail every
claim, or silently match nothing, depending on the server.
"""

from __future__ import annotations

import re
from typing import Any

from pymongo.errors import OperationFailure, PyMongoError

from rocketjob.exceptions import RocketJobError

LOGICAL = frozenset({"$and", "$or", "$nor"})
TOP_LEVEL = LOGICAL | {"$expr", "$comment", "$jsonSchema", "$text"}
LISTS = frozenset({"$in", "$nin", "$all"})
FIELD_OPERATORS = LISTS | {
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$exists",
    "$type",
    "$regex",
    "$options",
    "$not",
    "$elemMatch",
    "$size",
    "$mod",
    "$bitsAllSet",
    "$bitsAllClear",
    "$bitsAnySet",
    "$bitsAnyClear",
}


class InvalidWhereFilterError(RocketJobError, ValueError):
    """A where-filter that is not a query the database would run as meant."""


def check_where(where: Any, source: str = "--where", *, collection: Any = None) -> None:
    """Raise :class:`InvalidWhereFilterError` (its message starts with ``source``) unless
    ``where`` is a query MongoDB accepts. ``collection`` (default: the jobs collection)
    runs it once; a database that cannot be reached now is not an error here (workers wait
    for it as for any outage)."""
    problem = shape_problem(where)
    if problem:
        raise InvalidWhereFilterError(f"{source} is not a valid query: {problem}")
    if collection is None:
        from rocketjob.job import Job

        collection = Job._get_collection()
    try:
        # Inside one $and, as the claim uses it: a server may parse a term differently there.
        next(iter(collection.find({"$and": [where]}, projection={"_id": 1}).limit(1)), None)
    except OperationFailure as exc:
        message = (exc.details or {}).get("errmsg") or str(exc)
        raise InvalidWhereFilterError(f"{source} is refused by the database: {message}") from exc
    except PyMongoError:
        return


def shape_problem(query: Any, path: str = "") -> str | None:
    """What is wrong with the structure of ``query``, or None."""
    if not isinstance(query, dict):
        return f"{path or 'the filter'} must be a JSON object, got {type(query).__name__}"
    for key, value in query.items():
        where = f"{path}.{key}" if path else key
        if key == "$where":
            return "$where (server-side JavaScript) is not allowed in a worker filter"
        if key.startswith("$"):
            if key not in TOP_LEVEL:
                return f"unknown operator {key}"
            if key in LOGICAL:
                if not isinstance(value, list) or not value:
                    return f"{key} needs a non-empty list of queries"
                for index, item in enumerate(value):
                    problem = shape_problem(item, f"{where}[{index}]")
                    if problem:
                        return problem
            continue
        if not key:
            return "a field name is empty"
        problem = _condition_problem(value, where)
        if problem:
            return problem
    return None


def _condition_problem(value: Any, where: str) -> str | None:
    if not isinstance(value, dict) or not any(str(k).startswith("$") for k in value):
        return None  # an equality, even with a document
    if not all(str(k).startswith("$") for k in value):
        return f"{where} mixes operators and field names"
    for operator, argument in value.items():
        if operator not in FIELD_OPERATORS:
            return f"unknown operator {operator} (in {where})"
        if operator in LISTS and not isinstance(argument, list):
            return f"{operator} needs a list (in {where})"
        if operator == "$not" and isinstance(argument, dict):
            problem = _condition_problem(argument, where)
            if problem:
                return problem
        if operator == "$elemMatch":
            if not isinstance(argument, dict):
                return f"$elemMatch needs a query (in {where})"
            on_values = any(k in FIELD_OPERATORS for k in argument)
            check = _condition_problem if on_values else shape_problem
            problem = check(argument, where)
            if problem:
                return problem
        if operator == "$regex" and isinstance(argument, str):
            try:
                re.compile(argument)
            except re.error as exc:  # the embedded server would fail every claim with it
                return f"$regex {argument!r} is not a valid regular expression: {exc} (in {where})"
        if operator == "$size" and (isinstance(argument, bool) or not isinstance(argument, int)):
            return f"$size needs a whole number (in {where})"
    return None
