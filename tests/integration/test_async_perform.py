"""``async def perform`` inline (``perform_now``) and in a batch slice's loop."""

from __future__ import annotations

import asyncio
import gc
import io
import warnings

import pytest

from tests.jobsapp.behaviour_jobs import AsyncBatchJob, AsyncFailingJob, AsyncRecordJob, effects
from tests.jobsapp.plugin_jobs import work_next


def _no_unawaited_warnings(caught: list[warnings.WarningMessage]) -> None:
    gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_perform_now_awaits_the_coroutine_and_returns_its_result() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        job = AsyncRecordJob.build(label="inline")
        assert job.perform_now() == "inline"
        _no_unawaited_warnings(caught)
    assert job.state == "completed"
    assert effects("async") == 1


def test_perform_now_reraises_the_coroutine_exception() -> None:
    job = AsyncFailingJob.build()
    with pytest.raises(ValueError, match="async perform failed on purpose"):
        job.perform_now()
    assert job.state == "failed"


def test_a_worker_fails_the_job_with_the_coroutine_exception() -> None:
    job = AsyncFailingJob.create()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        work_next()
        _no_unawaited_warnings(caught)
    job.reload()
    assert job.state == "failed"
    assert job.exception.class_name == "ValueError"


def test_async_batch_records_run_and_a_raising_record_fails_its_slice() -> None:
    job = AsyncBatchJob.build()
    job.upload(["x", "y", "z"])
    job.perform_now()
    out = io.StringIO()
    assert job.download(out) == 3
    assert out.getvalue().splitlines() == ["X", "Y", "Z"]
    failing = AsyncBatchJob.build()
    failing.upload(["ok", "boom"])
    with pytest.raises(ValueError, match="async record failed on purpose"):
        failing.perform_now()
    assert [s["exception"]["record_number"] for s in failing.input().failed()] == [2]


def test_perform_now_inside_an_event_loop_is_refused_clearly() -> None:
    async def from_async_code() -> None:
        AsyncRecordJob.build().perform_now()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="sync_to_async"):
            asyncio.run(from_async_code())
        _no_unawaited_warnings(caught)
    assert effects("async") == 0
