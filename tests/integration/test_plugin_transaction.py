"""Transaction: perform's SQL writes commit together or roll back when the job fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from tests.jobsapp.plugin_jobs import LedgerBatchJob, LedgerJob, work_next

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def ledger_table() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE plugin_ledger (id INTEGER PRIMARY KEY, amount INTEGER)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE plugin_ledger")


def _amounts() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT amount FROM plugin_ledger ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def test_successful_perform_commits() -> None:
    job = LedgerJob.create(amount=7)
    assert work_next() is not None
    job.reload()
    assert job.state == "completed"
    assert _amounts() == [7]


def test_failing_perform_rolls_back_its_writes() -> None:
    job = LedgerJob.create(amount=9, fail_after=True)
    assert work_next() is not None
    job.reload()
    assert job.state == "failed"
    assert job.exception.message == "ledger failure after the insert"
    assert _amounts() == []


def test_perform_joins_an_enclosing_transaction() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO plugin_ledger (amount) VALUES (1)")
        LedgerJob.build(amount=2).perform_now()
        assert _amounts() == [1, 2]
        raise RuntimeError("outer rollback")
    assert _amounts() == []


def test_slice_hook_is_a_transaction() -> None:
    job = LedgerJob.build(amount=3, fail_after=True)
    with pytest.raises(RuntimeError), job.rocketjob_transaction():
        job.perform()
    assert _amounts() == []
    assert not connection.in_atomic_block


def test_batch_slices_commit_or_roll_back_as_a_unit() -> None:
    job = LedgerBatchJob.build()
    job.upload(["a", "bb", "ccc", "fail", "eeeee"])  # slices: [a, bb] [ccc, fail] [eeeee]
    job.save()
    while work_next() is not None:
        pass
    job.reload()
    assert job.state == "failed"
    assert sorted(_amounts()) == [1, 2, 5]  # the failed slice's "ccc" row was rolled back
