"""``TracingMixin``: the trace context a job carries from its enqueuer to its workers.

``trace_context`` is filled when a new job is first saved, from the active OpenTelemetry
context (nothing is stored without the otel extra or an active span); the worker continues it
(see :mod:`rocketjob.tracing`). Batch slices get their span from the ``around("slice")``
callback below, so every batch job class has it without declaring anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mongoengine as me

from rocketjob import tracing
from rocketjob.plugins.job.callbacks import around


class TracingMixin:
    #: W3C trace context headers (``traceparent``, ``tracestate``) of the enqueuer.
    trace_context = me.DictField()

    pk: Any
    rocketjob_slice: Any

    def save(self, *args: Any, **kwargs: Any) -> Any:
        # New: no id yet, or an insert (a batch job gets its id before the save, for its
        # slices; create() and create_from_upload() insert with force_insert).
        new = self.pk is None or bool(kwargs.get("force_insert"))
        if new and not self.trace_context and tracing.AVAILABLE:
            carrier = tracing.current_context()
            if carrier:
                self.trace_context = carrier
        return super().save(*args, **kwargs)  # type: ignore[misc]

    @around("slice")
    def rocketjob_trace_slice(self, proceed: Callable[[], None]) -> None:
        with tracing.slice_span(self, self.rocketjob_slice):
            proceed()
