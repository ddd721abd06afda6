"""OpenTelemetry tracing of jobs: optional (``pip install django-rocketjob[otel]``).

* At create, the enqueuer's trace context (W3C ``traceparent``/``tracestate``, through the
  globally configured propagator) is stored on the job in ``trace_context``.
* A worker runs each job it claims (or joins) inside a ``rocketjob.perform`` span that is a
  child of that stored context, so the job shows up in the trace of the request that
  enqueued it; batch jobs add a ``rocketjob.slice`` span per slice inside it.
* Spans carry ``rocketjob.job.id``, ``rocketjob.job.class`` and ``rocketjob.job.state`` (the
  state the job was left in), plus the worker and slice.

Without the ``opentelemetry`` packages every function here is a cheap no-op; with the API but
no SDK configured the spans are OpenTelemetry's non-recording ones, which carry a stored trace
context on, and none is built for a job without one. Exporting is configured
by the application (see docs/operations.md, "Monitoring").
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

try:
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError:  # the otel extra is not installed
    AVAILABLE = False
else:
    AVAILABLE = True

TRACER_NAME = "rocketjob"


def current_context() -> dict[str, str]:
    """The active trace context as W3C headers; empty without tracing or an active span."""
    if not AVAILABLE:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def _sdk_configured() -> bool:
    """Whether the application set a tracer provider (without one, OpenTelemetry hands out
    a proxy whose spans record nothing)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def _job_attributes(job: Any) -> dict[str, Any]:
    return {
        "rocketjob.job.id": str(job.pk),
        "rocketjob.job.class": type(job).__name__,
        "rocketjob.job.state": str(job.state),
    }


@contextlib.contextmanager
def job_span(job: Any, worker_name: str = "") -> Iterator[Any]:
    """Run a job's work inside ``rocketjob.perform``, continuing its enqueuer's trace."""
    if not AVAILABLE or (not job.trace_context and not _sdk_configured()):
        # No exporter and no parent to carry on: the span would be an invalid one, so it
        # is not built (about 6% of a no-op job's client CPU otherwise).
        yield None
        return
    parent = propagate.extract(dict(job.trace_context or {}))
    tracer = trace.get_tracer(TRACER_NAME)
    attributes = {**_job_attributes(job), "rocketjob.worker": worker_name}
    with tracer.start_as_current_span(
        "rocketjob.perform", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        try:
            yield span
        finally:
            span.set_attribute("rocketjob.job.state", str(job.state))
            if job.state == "failed":
                exception = getattr(job, "exception", None)
                message = getattr(exception, "message", "") if exception else ""
                span.set_status(Status(StatusCode.ERROR, message or "job failed"))


@contextlib.contextmanager
def slice_span(job: Any, slice_: Any) -> Iterator[Any]:
    """One ``rocketjob.slice`` span (a child of the current perform span)."""
    if not AVAILABLE or (
        not _sdk_configured()
        and not job.trace_context
        and not trace.get_current_span().get_span_context().is_valid
    ):
        yield None
        return
    tracer = trace.get_tracer(TRACER_NAME)
    attributes = {
        **_job_attributes(job),
        "rocketjob.slice.id": int(slice_.id) if slice_ is not None else -1,
        "rocketjob.slice.records": len(slice_.records) if slice_ is not None else 0,
    }
    context = None
    if not trace.get_current_span().get_span_context().is_valid:
        context = propagate.extract(dict(job.trace_context or {}))  # perform_now, tests
    with tracer.start_as_current_span(
        "rocketjob.slice", context=context, attributes=attributes
    ) as span:
        yield span
