"""``async def perform``: run the coroutine to its end in the calling (worker) thread.

A worker thread has no event loop, so calling an ``async def perform`` only creates a
coroutine object; without this module the job would "complete" having run nothing. Every
call site of ``perform`` goes through :func:`call_perform`, which awaits what it returns:

* a plain job (and ``perform_now``): ``asyncio.run`` per perform, a fresh loop each time;
* a batch job: one loop per *slice* (:func:`slice_runner`), shared by the slice's records
  (cheaper than a loop per record); records are still performed one after the other.

A worker running a job with a ``time_limit`` awaits it through :func:`time_limited_runner`:
an event loop waiting in its selector is C code that the watchdog's exception cannot reach
before the awaited call returns (the thread would be abandoned after the grace), so the
limit is also enforced inside the loop with ``asyncio.timeout``, which cancels the awaiting
coroutine at the limit and raises ``TimeLimitExceeded``.

Exceptions raised by the coroutine propagate like those of a synchronous perform: the job
(or slice) fails with them. A perform called from a thread that already runs an event loop
(e.g. ``perform_now`` inside an async view) cannot block on it and raises ``RuntimeError``;
use ``sync_to_async(job.perform_now)`` there.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

#: Runs an awaitable to completion and returns its result.
AwaitRunner = Callable[[Coroutine[Any, Any, Any]], Any]


def call_perform(perform: Callable[..., Any], *args: Any, runner: AwaitRunner | None = None) -> Any:
    """``perform(*args)``; when it returns an awaitable, await it (on ``runner`` if given)."""
    result = perform(*args)
    if not inspect.isawaitable(result):
        return result
    coroutine = result if inspect.iscoroutine(result) else _await(result)
    if runner is not None:
        return runner(coroutine)
    if _loop_running():
        coroutine.close()  # never started: closing it avoids a "never awaited" warning
        raise RuntimeError(
            "an async perform cannot be awaited from a thread that runs an event loop; "
            "call perform_now through asgiref's sync_to_async there"
        )
    return asyncio.run(coroutine)


def time_limited_runner(seconds: float) -> AwaitRunner:
    """Run the coroutine on a fresh loop, cancelled after ``seconds`` (TimeLimitExceeded)."""
    from rocketjob.exceptions import TimeLimitExceeded

    async def limited(coroutine: Coroutine[Any, Any, Any]) -> Any:
        limit = asyncio.timeout(seconds)
        try:
            async with limit:
                return await coroutine
        except TimeoutError:
            if limit.expired():  # ours; a TimeoutError of the job's own is left as it is
                raise TimeLimitExceeded() from None
            raise

    return lambda coroutine: asyncio.run(limited(coroutine))


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def is_async_perform(job_class: type) -> bool:
    """True when the class's ``perform`` is a coroutine function."""
    return inspect.iscoroutinefunction(getattr(job_class, "perform", None))


@contextmanager
def slice_runner(job_class: type) -> Iterator[AwaitRunner | None]:
    """An event loop for one slice of an async batch job (None for a synchronous one)."""
    if not is_async_perform(job_class):
        yield None
        return
    with asyncio.Runner() as runner:
        yield runner.run


async def _await(awaitable: Any) -> Any:
    return await awaitable
