"""OpenTelemetry: the enqueuer's context stored at create and continued by real workers,
checked with the SDK's in-memory exporter; and the code without opentelemetry installed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from rocketjob.job import Job
from tests.helpers import wait_for
from tests.integration.runtime_helpers import running_supervisor
from tests.jobsapp.batch_jobs import EchoBatchJob
from tests.jobsapp.runtime_jobs import RuntimeFailJob, RuntimeJob

EXPORTER = InMemorySpanExporter()
TRACER = trace.get_tracer("tests")


@pytest.fixture(scope="module", autouse=True)
def tracer_provider() -> Iterator[None]:
    """The SDK with the in-memory exporter, as an application would configure it.

    The global provider can be set once per process, so it is set when this module starts
    and its exporter stops keeping spans when the module is done.
    """
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    trace.set_tracer_provider(provider)
    yield
    EXPORTER.shutdown()


@pytest.fixture(autouse=True)
def spans() -> Iterator[InMemorySpanExporter]:
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


def _finished(name: str, job_id: Any = None) -> list[Any]:
    return [
        s
        for s in EXPORTER.get_finished_spans()
        if s.name == name and (job_id is None or s.attributes["rocketjob.job.id"] == str(job_id))
    ]


def test_the_enqueuers_context_is_stored_and_the_worker_continues_it() -> None:
    with TRACER.start_as_current_span("web request") as request_span:
        job = RuntimeJob.create()
    context = request_span.get_span_context()
    stored = Job.load(job.pk).trace_context
    assert stored["traceparent"].startswith(f"00-{context.trace_id:032x}-{context.span_id:016x}")
    with running_supervisor(max_workers=1):
        [span] = wait_for(lambda: _finished("rocketjob.perform", job.pk))
    assert span.context.trace_id == context.trace_id
    assert span.parent is not None and span.parent.span_id == context.span_id
    assert span.attributes["rocketjob.job.class"] == "RuntimeJob"
    assert span.attributes["rocketjob.job.state"] == "completed"
    assert span.attributes["rocketjob.worker"] == "itest:1:0"
    assert span.kind == trace.SpanKind.CONSUMER


def test_a_failed_job_ends_its_span_with_an_error_status() -> None:
    with TRACER.start_as_current_span("enqueue"):
        job = RuntimeFailJob.create()
    with running_supervisor(max_workers=1):
        [span] = wait_for(lambda: _finished("rocketjob.perform", job.pk))
    assert span.attributes["rocketjob.job.state"] == "failed"
    assert span.status.status_code == StatusCode.ERROR
    assert "failed on purpose" in (span.status.description or "")


def test_a_job_created_outside_a_trace_stores_nothing_and_starts_a_root_span() -> None:
    job = RuntimeJob.create()
    assert not Job.load(job.pk).trace_context
    with running_supervisor(max_workers=1):
        [span] = wait_for(lambda: _finished("rocketjob.perform", job.pk))
    assert span.parent is None


def test_every_slice_gets_a_span_inside_the_perform_span_of_its_worker() -> None:
    with TRACER.start_as_current_span("upload") as upload_span:
        job = EchoBatchJob.create_from_upload(
            [str(i) for i in range(120)], upload_options={"slice_size": 40}
        )
    trace_id = upload_span.get_span_context().trace_id
    with running_supervisor(max_workers=2):
        slices = wait_for(lambda: len(_finished("rocketjob.slice", job.pk)) == 3 and True)
        wait_for(lambda: Job.load(job.pk).state == "completed")
    slices = _finished("rocketjob.slice", job.pk)
    performs = {s.context.span_id: s for s in _finished("rocketjob.perform", job.pk)}
    assert sorted(s.attributes["rocketjob.slice.records"] for s in slices) == [40, 40, 40]
    for span in slices:
        assert span.context.trace_id == trace_id
        assert span.parent is not None and span.parent.span_id in performs


ROOT = Path(__file__).resolve().parents[2]
WITHOUT_OTEL = """
import sys
sys.modules["opentelemetry"] = None  # as if the otel extra were not installed
import django
django.setup()
from rocketjob import tracing
from tests.jobsapp.batch_jobs import EchoBatchJob
from tests.jobsapp.runtime_jobs import RuntimeJob
assert tracing.AVAILABLE is False and tracing.current_context() == {}
job = RuntimeJob.create()
assert not job.trace_context
with tracing.job_span(job, "w:1:0"):
    pass
EchoBatchJob.create_from_upload(["a", "b"]).perform_now()
print("ok")
"""


def _run_script(script: str, rocketjob_db: Any) -> None:
    """Run ``script`` in a fresh interpreter (whose tracer provider is still unset)."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=rocketjob_db.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_everything_works_without_opentelemetry_installed(rocketjob_db: Any) -> None:
    _run_script(WITHOUT_OTEL, rocketjob_db)


API_WITHOUT_SDK = """
import django
django.setup()
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context
from opentelemetry import context as otel_context
from rocketjob import tracing
from tests.jobsapp.runtime_jobs import RuntimeJob
assert tracing.AVAILABLE and not tracing._sdk_configured()
plain = RuntimeJob.create()
assert not plain.trace_context
with tracing.job_span(plain, "w:1:0") as span:
    assert span is None  # nothing to record and no trace to carry on: no span is built
parent = SpanContext(trace_id=0x1234, span_id=0x5678, is_remote=False,
                     trace_flags=TraceFlags(TraceFlags.SAMPLED))
token = otel_context.attach(set_span_in_context(NonRecordingSpan(parent)))
traced = RuntimeJob.create()
otel_context.detach(token)
assert traced.trace_context, traced.trace_context
with tracing.job_span(traced, "w:1:0") as span:
    # No SDK, but an enqueuer's trace: its context is still what the perform runs in, so
    # instrumented calls made by perform carry the enqueuer's trace id on.
    assert trace.get_current_span().get_span_context().trace_id == 0x1234
print("ok")
"""


def test_without_an_sdk_a_job_with_no_trace_costs_no_span_and_a_traced_one_carries_on(
    rocketjob_db: Any,
) -> None:
    _run_script(API_WITHOUT_SDK, rocketjob_db)
