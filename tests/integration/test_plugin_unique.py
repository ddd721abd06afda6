"""Unique on the real server: keys from fields or a function, raise or return, races."""

from __future__ import annotations

from datetime import timedelta

import mongoengine as me
import pytest

from rocketjob import DuplicateJobError, JobValidationError
from rocketjob.exceptions import ConfigurationError
from rocketjob.plugins.job.model import utc_now
from tests.helpers import race_in_processes, race_in_threads
from tests.jobsapp.plugin_jobs import UniqueImportJob, UniqueMonthJob, work_next


def test_a_duplicate_key_is_refused_naming_the_holder() -> None:
    first = UniqueImportJob.create(customer_id=7, file_name="a.csv")
    with pytest.raises(DuplicateJobError) as raised:
        UniqueImportJob.create(customer_id=7, file_name="a.csv", note="again")
    assert raised.value.existing_id == first.pk
    assert str(first.pk) in str(raised.value)
    assert isinstance(raised.value, JobValidationError)
    assert UniqueImportJob.objects.count() == 1


def test_other_keys_are_independent() -> None:
    UniqueImportJob.create(customer_id=7, file_name="a.csv")
    UniqueImportJob.create(customer_id=7, file_name="b.csv")
    UniqueImportJob.create(customer_id=8, file_name="a.csv")
    assert UniqueImportJob.objects.count() == 3


def test_scheduled_running_and_paused_jobs_hold_the_key() -> None:
    scheduled = UniqueImportJob.create(customer_id=1, run_at=utc_now() + timedelta(hours=1))
    with pytest.raises(DuplicateJobError):
        UniqueImportJob.create(customer_id=1)
    scheduled.run_now()
    from rocketjob import Job
    from tests.claiming import claimed_job

    running = claimed_job(Job, "host:1:0")
    assert running is not None and running.pk == scheduled.pk
    with pytest.raises(DuplicateJobError):
        UniqueImportJob.create(customer_id=1)
    paused = UniqueImportJob.create(customer_id=2)
    paused.pause()
    with pytest.raises(DuplicateJobError):
        UniqueImportJob.create(customer_id=2)


@pytest.mark.parametrize("end", ["complete", "fail", "abort"])
def test_an_ended_job_releases_its_key(end: str) -> None:
    first = UniqueImportJob.create(customer_id=3)
    if end == "complete":
        assert work_next() is not None
    else:
        getattr(first, end)()
    first.reload()
    assert first.rocketjob_unique_key is None
    second = UniqueImportJob.create(customer_id=3)
    assert second.rocketjob_unique_key.endswith("|[3,null]")


def test_retrying_a_failed_job_is_refused_while_its_key_is_taken() -> None:
    failed = UniqueImportJob.create(customer_id=4)
    failed.fail(RuntimeError("broken"))
    UniqueImportJob.create(customer_id=4)
    with pytest.raises(DuplicateJobError):
        failed.retry()
    failed.reload()
    assert failed.state == "failed"


def test_a_key_function_and_return_existing() -> None:
    first = UniqueMonthJob.create(day="2026-03-01")
    again = UniqueMonthJob.create(day="2026-03-31")
    assert again.pk == first.pk
    assert again.day == "2026-03-01"
    april = UniqueMonthJob.create(day="2026-04-01")
    assert april.pk != first.pk
    assert UniqueMonthJob.objects.count() == 2


def test_return_existing_still_raises_for_another_rule() -> None:
    from rocketjob import Cron, Job, Unique

    class MonthlyCronJob(Unique, Cron, Job):
        unique_on_duplicate = "return_existing"
        cron_schedule = "0 * * * *"
        day = me.StringField()

        def unique_key(self) -> str:
            return self.day[:7]

        def perform(self) -> None:
            return None

    first = MonthlyCronJob.create(day="2026-01-01")
    assert MonthlyCronJob.create(day="2026-01-09").pk == first.pk  # Unique: returned
    with pytest.raises(DuplicateJobError, match="cron schedule") as raised:
        MonthlyCronJob.create(day="2026-02-01")  # another key, but the same cron schedule
    assert raised.value.rule == "rocketjob_cron"
    assert MonthlyCronJob.objects.count() == 1


def test_a_long_key_is_stored_as_a_digest() -> None:
    job = UniqueImportJob.create(customer_id=5, file_name="x" * 500)
    assert job.rocketjob_unique_key.startswith(f"{job._class_name}|sha256:")
    with pytest.raises(DuplicateJobError):
        UniqueImportJob.create(customer_id=5, file_name="x" * 500)
    UniqueImportJob.create(customer_id=5, file_name="x" * 499)


def test_a_class_without_fields_or_key_function_is_refused_clearly() -> None:
    from rocketjob import Job, Unique

    class KeylessJob(Unique, Job):
        def perform(self) -> None:
            return None

    with pytest.raises(ConfigurationError, match="unique_fields"):
        KeylessJob.create()
    assert KeylessJob.objects.count() == 0


@pytest.mark.parametrize("klass", [UniqueImportJob, UniqueMonthJob], ids=["raise", "return"])
def test_threads_racing_to_create_get_exactly_one_job(klass) -> None:  # type: ignore[no-untyped-def]
    fields = {"customer_id": 9} if klass is UniqueImportJob else {"day": "2026-05-05"}
    created, refused = race_in_threads(lambda: klass.create(**fields).pk)
    assert klass.objects.count() == 1
    if klass is UniqueImportJob:
        assert (len(created), len(refused)) == (1, 7)
    else:  # every caller gets the one job back
        assert (len(created), len(refused)) == (8, 0)
        assert len(set(created)) == 1


CREATE_SCRIPT = """
import time
from rocketjob import DuplicateJobError
from tests.jobsapp.plugin_jobs import UniqueImportJob, UniqueMonthJob
start = float({start!r})
while time.time() < start:
    time.sleep(0.001)
outcome = []
try:
    UniqueImportJob.create(customer_id=11, file_name="race.csv")
    outcome.append("created")
except DuplicateJobError:
    outcome.append("refused")
outcome.append(str(UniqueMonthJob.create(day="2026-06-06").pk))
print(",".join(outcome))
"""


def test_processes_racing_to_create_get_exactly_one(rocketjob_db) -> None:  # type: ignore[no-untyped-def]
    outputs = race_in_processes(CREATE_SCRIPT, rocketjob_db.subprocess_env())
    assert sorted(o[0] for o in outputs) == ["created", "refused", "refused", "refused"]
    assert len({o[1] for o in outputs}) == 1  # every process got the same month job
    assert UniqueImportJob.objects.count() == 1
    assert UniqueMonthJob.objects.count() == 1
