"""The job list's query-string parameters: search, class filter, sorting and paging.

Everything is resolved server-side into one MongoDB query; the user's search text is a
literal (``re.escape``), never a regular expression they control.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from mission_control.jobs_data import state_filter
from rocketjob import queries

PER_PAGE_CHOICES = (10, 25, 50, 100)
DEFAULT_PER_PAGE = 25
#: Sort key in the URL -> stored field.
SORT_FIELDS = {
    "class": "_cls",
    "description": "description",
    "state": "state",
    "priority": "priority",
    # ObjectIds grow with creation time: sorting on _id uses its index, created_at has none.
    "created": "_id",
    "started": "started_at",
    "completed": "completed_at",
    "run_at": "run_at",
}
DEFAULT_SORT = {
    "running": "priority",
    "queued": "priority",
    "scheduled": "run_at",
    "paused": "-completed",
    "completed": "-completed",
    "failed": "-completed",
    "aborted": "-completed",
    "all": "-created",
}


@dataclass
class JobListParams:
    state: str
    search: str = ""
    klass: str = ""
    order: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, state: str, query: QueryDict) -> JobListParams:
        params = cls(state=state, search=query.get("q", "").strip()[:200])
        params.klass = query.get("class", "").strip()[:200]
        order = query.get("o", "") or DEFAULT_SORT[state]
        if order.lstrip("-") not in SORT_FIELDS:
            params.errors.append(f"cannot sort by {order!r}; showing the default order")
            order = DEFAULT_SORT[state]
        params.order = order
        params.page = _positive_int(query.get("page"), 1)
        per_page = _positive_int(query.get("per_page"), DEFAULT_PER_PAGE)
        params.per_page = per_page if per_page in PER_PAGE_CHOICES else DEFAULT_PER_PAGE
        return params

    def mongo_filter(self) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = [state_filter(self.state)]
        if self.klass:
            clauses.append(queries.eq("_cls", self.klass))
        if self.search:
            pattern = re.escape(self.search)
            clauses.append(
                {
                    "$or": [
                        {"_cls": {"$regex": pattern, "$options": "i"}},
                        {"description": {"$regex": pattern, "$options": "i"}},
                    ]
                }
            )
        return queries.all_of(*clauses)

    def mongo_sort(self) -> list[tuple[str, int]]:
        key = self.order.lstrip("-")
        direction = -1 if self.order.startswith("-") else 1
        field_name = SORT_FIELDS[key]
        if field_name == "_id":
            return [("_id", direction)]
        return [(field_name, direction), ("_id", direction)]

    def query_string(self, **overrides: Any) -> str:
        """This page's query string with some parameters replaced (for links)."""
        values = {
            "q": self.search,
            "class": self.klass,
            "o": self.order if self.order != DEFAULT_SORT[self.state] else "",
            "per_page": self.per_page if self.per_page != DEFAULT_PER_PAGE else "",
            "page": self.page if self.page != 1 else "",
        }
        values.update(overrides)
        query = QueryDict(mutable=True)
        for key, value in values.items():
            if value not in ("", None):
                query[key] = str(value)
        encoded = query.urlencode()
        return f"?{encoded}" if encoded else "?"


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value or default)
    except ValueError:
        return default
    return number if number > 0 else default
