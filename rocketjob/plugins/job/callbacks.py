"""Callbacks: ``before``/``after`` every state event, and ``before``/``after``/``around``
``perform``.

Declare them with decorators in the class body; plugins use the same decorators, so a job
composed from many mixins runs all of their callbacks::

    class ReportJob(Job):
        @before("start")
        def open_connection(self): ...

        @around("perform")
        def timed(self, proceed):
            started = time.monotonic()
            proceed()
            self.logger.info("took %s", time.monotonic() - started)

Order: ``before`` callbacks run base class first, in definition order; ``after`` callbacks run
in the reverse order and ``around`` callbacks nest, first declared outermost. That makes a
plugin's before/after pair wrap everything declared after it, like middleware.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

Kind = Literal["before", "after", "around"]
EVENTS = ("start", "complete", "fail", "retry", "pause", "resume", "abort", "requeue")
CALLBACK_TARGETS = (*EVENTS, "perform", "slice", "batch")
#: Targets that wrap a body of work and therefore accept ``around`` callbacks.
AROUND_TARGETS = ("perform", "slice")

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "_rocketjob_callback"


def _decorator(kind: Kind, target: str) -> Callable[[F], F]:
    if target not in CALLBACK_TARGETS:
        raise ValueError(f"unknown callback target {target!r}; expected one of {CALLBACK_TARGETS}")
    if kind == "around" and target not in AROUND_TARGETS:
        raise ValueError(f"around callbacks exist only for {AROUND_TARGETS}")

    def mark(function: F) -> F:
        marks = list(getattr(function, _MARK, ()))
        marks.append((kind, target))
        setattr(function, _MARK, tuple(marks))
        return function

    return mark


def before(target: str) -> Callable[[F], F]:
    """Run the decorated method before the event (or perform); raising cancels it."""
    return _decorator("before", target)


def after(target: str) -> Callable[[F], F]:
    """Run the decorated method after the event was applied (or perform returned)."""
    return _decorator("after", target)


def around(target: str) -> Callable[[F], F]:
    """Wrap perform: the method receives ``proceed`` and must call it once."""
    return _decorator("around", target)


_cache: dict[tuple[type, Kind, str], tuple[str, ...]] = {}


def callback_names(cls: type, kind: Kind, target: str) -> tuple[str, ...]:
    """Method names registered on ``cls`` for (kind, target), in run order."""
    key = (cls, kind, target)
    names = _cache.get(key)
    if names is None:
        ordered: list[str] = []
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if (kind, target) in getattr(value, _MARK, ()) and name not in ordered:
                    ordered.append(name)
        if kind == "after":
            ordered.reverse()
        names = _cache[key] = tuple(ordered)
    return names


class CallbacksMixin:
    """Runs the callbacks declared with :func:`before`, :func:`after` and :func:`around`."""

    def rocketjob_run_callbacks(self, kind: Kind, target: str) -> None:
        for name in callback_names(type(self), kind, target):
            getattr(self, name)()

    def rocketjob_run_around(self, target: str, body: Callable[[], Any]) -> Any:
        """Run ``body`` inside every ``around`` callback, returning what body returned."""
        result: list[Any] = []

        def innermost() -> None:
            result.append(body())

        chain = innermost
        for name in reversed(callback_names(type(self), "around", target)):
            chain = _bind(getattr(self, name), chain)
        chain()
        return result[0] if result else None


def _bind(
    callback: Callable[[Callable[[], None]], Any], proceed: Callable[[], None]
) -> Callable[[], None]:
    def call() -> None:
        callback(proceed)

    return call
