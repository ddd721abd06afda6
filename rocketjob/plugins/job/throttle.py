"""Throttles: reasons a worker should not start a job it has just claimed.

A throttle is a method returning True when the job must wait. When one fires, the worker puts
the job back in the queue, records ``throttled_by``, and excludes jobs like it (its class, its
throttle group, or just its id) from its own claims until ``re_check_seconds`` pass, so it does
not claim the same job again and again.

The always-on throttle is ``throttle_running_jobs``: a cap on running jobs of the class, or of
the job's ``throttle_group`` across classes. Define your own::

    class ApiJob(Job):
        @throttle(exclude="class")
        def api_is_down(self) -> bool:
            return not api_health_ok()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal, TypeVar

from rocketjob import queries

Exclude = Literal["class", "id", "group"]
F = TypeVar("F", bound=Callable[..., bool])
_MARK = "_rocketjob_throttle"


_ON_JOIN = "_rocketjob_throttle_on_join"


def throttle(exclude: Exclude = "class", on_join: bool = True) -> Callable[[F], F]:
    """Declare a throttle method; ``exclude`` says which jobs to skip while it holds.

    ``on_join``: also checked when a worker is about to join a running batch job (see
    :mod:`rocketjob.batch.batch_throttles`); built-in throttles about *starting* a job (the
    running-jobs cap, the processing window) say False.
    """
    if exclude not in ("class", "id", "group"):
        raise ValueError("exclude must be 'class', 'id' or 'group'")

    def mark(function: F) -> F:
        setattr(function, _MARK, exclude)
        setattr(function, _ON_JOIN, on_join)
        return function

    return mark


_throttles: dict[type, list[tuple[str, Exclude]]] = {}


class ThrottleMixin:
    """Evaluates throttles; includes the running-jobs cap."""

    #: Maximum running jobs of this class (or of its throttle_group); None means no cap.
    throttle_running_jobs: ClassVar[int | None] = None

    objects: Any
    pk: Any
    throttle_group: Any
    _class_name: str

    @classmethod
    def rocketjob_throttle_methods(cls) -> list[tuple[str, Exclude]]:
        """The throttles of this class, found once per class (they run on every claim)."""
        found = _throttles.get(cls)
        if found is None:
            marked: dict[str, Exclude] = {}
            for klass in reversed(cls.__mro__):
                for name, value in vars(klass).items():
                    kind = getattr(value, _MARK, None)
                    if kind is not None:
                        marked[name] = kind
            found = _throttles[cls] = list(marked.items())
        return found

    @throttle(exclude="group", on_join=False)
    def throttle_running_jobs_exceeded(self) -> bool:
        """True when the running-jobs cap of the class (or throttle_group) is reached."""
        limit = self.throttle_running_jobs
        if not limit or limit <= 0:
            return False
        if self.throttle_group:
            query = queries.running(queries.eq("throttle_group", self.throttle_group))
        else:
            query = queries.running(queries.eq("_cls", self._class_name))
        # Count everything running and discount this job, rather than filtering on _id: simpler
        # for the server's planner and correct on every MongoDB-protocol server we support.
        running = queries.count(self._get_collection(), query, limit=limit + 1)  # type: ignore[attr-defined]
        others = running - (1 if getattr(self, "state", None) == "running" else 0)
        return bool(others >= limit)

    def rocketjob_evaluate_throttles(self) -> tuple[str, dict[str, Any]] | None:
        """The first throttle that holds, and the claim filter that excludes jobs like this one.

        The class's ``rate_limit`` comes last: checking it uses up one start of the window,
        which a job that another throttle holds back must not do.
        """
        for name, exclude in self.rocketjob_throttle_methods():
            if getattr(self, name)():
                return name, self.rocketjob_throttle_filter(exclude)
        if self.rocketjob_rate_limit_exceeded():  # type: ignore[attr-defined]
            return "rate_limit", self.rocketjob_throttle_filter("class")
        return None

    @classmethod
    def rocketjob_join_throttle_names(cls) -> list[str]:
        """The throttles also checked before joining a running batch job."""
        return [
            name
            for name, _ in cls.rocketjob_throttle_methods()
            if getattr(getattr(cls, name), _ON_JOIN, True)
        ]

    def rocketjob_throttle_until(self, name: str) -> float | None:
        """Monotonic time until which the throttle ``name`` holds, when it is known (a rate
        limit's window end); None: until the runtime's next reset of the exclusions."""
        if name == "rate_limit":
            return self.rocketjob_rate_window_end()  # type: ignore[attr-defined]
        return None

    def rocketjob_throttle_filter(self, exclude: Exclude) -> dict[str, Any]:
        if exclude == "id":
            return {"_id": self.pk}
        if exclude == "group" and self.throttle_group:
            return {"throttle_group": self.throttle_group}
        return {"_cls": self._class_name}
