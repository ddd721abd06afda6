"""Callback order for events and perform, inheritance, and cancellation by a raising before."""

from __future__ import annotations

import pytest

from rocketjob import StateConflictError
from tests.claiming import claimed_job
from tests.jobsapp.foundation_jobs import CallbackJob, ChildCallbackJob

PERFORM_ORDER = [
    "before_start_one",
    "before_start_two",
    "after_start_two",
    "after_start_one",
    "before_perform",
    "around_outer_enter",
    "around_inner_enter",
    "perform",
    "around_inner_exit",
    "around_outer_exit",
    "after_perform",
    "before_complete",
    "after_complete",
]


def test_perform_now_runs_callbacks_in_order() -> None:
    job = CallbackJob()
    job.perform_now()
    assert job.calls == PERFORM_ORDER
    assert job.state == "completed"
    assert job.pk is None  # perform_now never saves


def test_worker_runs_the_same_callbacks_in_the_same_order() -> None:
    job = CallbackJob.create()
    claimed = claimed_job(CallbackJob, "host:1:0")
    assert claimed.pk == job.pk
    claimed.rocketjob_work("host:1:0")
    stored = CallbackJob.objects.get(pk=job.pk)
    assert stored.state == "completed"
    assert claimed.calls == PERFORM_ORDER
    # after_<event> callbacks run once the transition is saved: their own changes are not
    # written unless they save them (e.g. with set_fields).
    assert stored.calls == PERFORM_ORDER[:-1]


def test_subclass_callbacks_run_after_inherited_befores_and_before_inherited_afters() -> None:
    job = ChildCallbackJob()
    job.perform_now()
    assert job.calls[:5] == [
        "before_start_one",
        "before_start_two",
        "child_before_start",
        "child_after_start",
        "after_start_two",
    ]


def test_raising_before_callback_cancels_the_event() -> None:
    job = CallbackJob.create(fail_in="before_complete")
    job.start(worker_name="w:1:0")
    with pytest.raises(RuntimeError, match="before_complete refused"):
        job.complete()
    assert CallbackJob.objects.get(pk=job.pk).state == "running"


def test_raising_perform_callback_fails_the_job_with_the_exception() -> None:
    job = CallbackJob.create(fail_in="before_perform")
    claimed = claimed_job(CallbackJob, "host:1:0")
    claimed.rocketjob_work("host:1:0")
    stored = CallbackJob.objects.get(pk=job.pk)
    assert stored.state == "failed"
    assert stored.exception.message == "before_perform refused"
    assert "perform" not in stored.calls


def test_perform_now_reraises_and_marks_failed_in_memory() -> None:
    job = CallbackJob(fail_in="perform")
    with pytest.raises(RuntimeError, match="perform refused"):
        job.perform_now()
    assert job.state == "failed" and job.failure_count == 1
    assert job.exception.class_name == "RuntimeError"


def test_worker_leaves_a_job_aborted_meanwhile_as_aborted() -> None:
    class AbortingDuringPerform(CallbackJob):
        def perform(self) -> None:
            # Mission Control aborts the job while the worker performs it.
            CallbackJob.objects.get(pk=self.pk).abort()

    job = AbortingDuringPerform.create()
    claimed = claimed_job(AbortingDuringPerform, "host:1:0")
    claimed.rocketjob_work("host:1:0")  # the conflict on complete is logged, not raised
    assert CallbackJob.objects.get(pk=job.pk).state == "aborted"
    with pytest.raises(StateConflictError, match="expected to be 'running'"):
        claimed.state = "running"
        claimed.fire("complete")
