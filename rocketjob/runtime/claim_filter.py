"""Which jobs a worker may claim, rendered as a MongoDB filter.

The filter is built from ``$eq`` and ``$ne`` terms rather than ``$in``/``$nin`` lists, and
callers combine these terms with their own in ONE flat ``$and``: the rules of
:mod:`rocketjob.queries`, which says why.

A worker that may run every class it knows sends no class condition at all, only ``$ne``
terms for classes it has learnt to skip (throttled ones, and classes stored in the database
that this process cannot load: see :func:`rocketjob.runtime.claim.claim`).

Each worker thread has its own filter, so per-worker claim state lives here too: the
exclusions and the moment until which the joinable-batch lookup is skipped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rocketjob import queries


@dataclass
class ClaimFilter:
    """Class regexes, a raw where-filter, and exclusions added by throttles and unknown
    classes (the runtime clears them every ``re_check_seconds``)."""

    include: str = ""
    exclude: str = ""
    where: dict[str, Any] = field(default_factory=dict)
    excluded: dict[str, set[Any]] = field(default_factory=dict)
    #: (number of skipped job ids, monotonic time): no joinable batch job was found with that
    #: many jobs skipped; the lookup is skipped until then (see ``rocketjob.runtime.claim``).
    join_skip: tuple[int, float] = field(default=(0, 0.0), compare=False, repr=False)

    #: Monotonic time by which the runtime should reset the exclusions (earlier than its
    #: ``re_check_seconds`` when an exclusion is known to end sooner: a rate-limit window).
    reset_due: float = field(default=math.inf, compare=False, repr=False)

    def exclude_value(self, field_name: str, value: Any, until: float | None = None) -> None:
        self.excluded.setdefault(field_name, set()).add(value)
        if until is not None:
            self.reset_due = min(self.reset_due, until)

    def reset_exclusions(self) -> None:
        self.excluded.clear()
        self.reset_due = math.inf

    def join_lookup_skipped(self, now: float) -> bool:
        """Whether a recent lookup found nothing to join (with the same jobs skipped)."""
        skipped_ids, until = self.join_skip
        return until > now and skipped_ids == len(self.excluded.get("_id", ()))

    def skip_join_lookup(self, until: float) -> None:
        self.join_skip = (len(self.excluded.get("_id", ())), until)

    def clear_join_skip(self) -> None:
        self.join_skip = (0, 0.0)

    def class_names(self, candidates: Iterable[tuple[str, type]]) -> list[str]:
        """Stored class names (``_cls``) the worker may claim among ``candidates``."""
        include = re.compile(self.include) if self.include else None
        exclude = re.compile(self.exclude) if self.exclude else None
        names = []
        for stored, klass in candidates:
            dotted = f"{klass.__module__}.{klass.__qualname__}"
            if include and not include.search(dotted):
                continue
            if exclude and exclude.search(dotted):
                continue
            if stored in self.excluded.get("_cls", ()):
                continue
            names.append(stored)
        return names

    def id_conditions(self) -> list[dict[str, Any]]:
        """``$ne`` terms for the jobs this worker skips for now (e.g. drained batch jobs)."""
        return [{"_id": {"$ne": v}} for v in sorted(self.excluded.get("_id", ()), key=str)]

    def query(
        self, candidates: Iterable[tuple[str, type]], *, all_classes: bool = False
    ) -> dict[str, Any]:
        """The filter for claimable jobs (without state/run_at), as one ``$and``."""
        conditions = self.conditions(candidates, all_classes=all_classes)
        return {"$and": conditions} if conditions else {}

    def conditions(
        self, candidates: Iterable[tuple[str, type]], *, all_classes: bool = False
    ) -> list[dict[str, Any]]:
        """The filter's terms, to be combined with others in a single flat ``$and``.

        ``all_classes`` says the candidates are every job class of this process: then,
        unless include/exclude narrow them, no positive class condition is needed.
        """
        conditions: list[dict[str, Any]] = []
        if all_classes and not (self.include or self.exclude):
            skipped = sorted(self.excluded.get("_cls", ()))
            conditions.extend({"_cls": {"$ne": name}} for name in skipped)
        else:
            names = self.class_names(candidates)
            if names:
                conditions.append(queries.any_of("_cls", names))
            else:
                # Matches nothing: a worker whose include/exclude leave it no class (rare, so
                # the $in that the embedded server evaluates slowly costs nothing here).
                conditions.append({"_cls": {"$in": []}})
        conditions.extend(self.other_conditions())
        return conditions

    def other_conditions(self) -> list[dict[str, Any]]:
        """The terms besides the class condition: skipped jobs, other exclusions, ``where``."""
        conditions: list[dict[str, Any]] = []
        for field_name, values in sorted(self.excluded.items()):
            if field_name == "_id":
                conditions.extend(self.id_conditions())
            elif field_name != "_cls":
                # Optional fields (e.g. throttle_group) use $nin: the embedded server gets
                # $ne wrong on documents that lack the field; exclusions like these are rare.
                conditions.append({field_name: {"$nin": sorted(values, key=str)}})
        if self.where:
            conditions.append(self.where)
        return conditions
