"""The claim's fast document construction builds what mongoengine's _from_son builds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from rocketjob.perf.jobs import SimpleJob
from rocketjob.plugins.job.fast_load import load_scalar_document
from tests.jobsapp.foundation_jobs import KeptJob


def _stored(job_class: Any, **fields: Any) -> dict[str, Any]:
    son: dict[str, Any] = job_class.build(**fields).to_mongo().to_dict()
    son["_id"] = ObjectId()
    return son


def _same(fast: Any, slow: Any) -> None:
    assert type(fast) is type(slow)
    assert fast._data == slow._data
    assert fast.to_mongo().to_dict() == slow.to_mongo().to_dict()
    assert (fast._initialised, fast._created, fast._changed_fields) == (True, False, [])
    assert (slow._initialised, slow._created, slow._changed_fields) == (True, False, [])
    assert fast._cls == slow._cls and fast.pk == slow.pk
    assert fast.get_state_display() == slow.get_state_display()


def test_a_claimed_plain_job_is_built_like_from_son() -> None:
    son = _stored(SimpleJob, description="d", priority=7)
    son.update(state="running", worker_name="w:1:0", started_at=datetime.now(UTC))
    fast = load_scalar_document(SimpleJob, dict(son))
    assert fast is not None
    _same(fast, SimpleJob._from_son(dict(son)))


def test_missing_fields_get_their_defaults_and_changes_are_tracked() -> None:
    # created_at is given: its default is the time of building, which differs between builds.
    son = {
        "_id": ObjectId(),
        "_cls": KeptJob._class_name,
        "state": "running",
        "created_at": datetime.now(UTC),
    }
    fast = load_scalar_document(KeptJob, dict(son))
    assert fast is not None
    _same(fast, KeptJob._from_son(dict(son)))
    fast.state = "completed"
    assert fast._get_changed_fields() == ["state"]


def test_documents_with_containers_or_unknown_keys_take_the_generic_path() -> None:
    son = _stored(SimpleJob)
    son["exception"] = {"class_name": "E", "message": "m"}
    assert load_scalar_document(SimpleJob, son) is None
    assert load_scalar_document(SimpleJob, {**_stored(SimpleJob), "bogus": 1}) is None


def test_an_empty_container_default_keeps_the_fast_path_and_tracks_changes() -> None:
    son = _stored(SimpleJob)
    son.pop("trace_context", None)  # a job enqueued without a trace stores none
    fast = load_scalar_document(SimpleJob, dict(son))
    assert fast is not None
    _same(fast, SimpleJob._from_son(dict(son)))
    fast.trace_context["traceparent"] = "00-x"
    assert [f for f in fast._get_changed_fields() if f.startswith("trace_context")]
