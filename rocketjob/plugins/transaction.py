"""Transaction: run ``perform`` inside a relational database transaction.

::

    from rocketjob import Job, Transaction

    class PostLedgerJob(Transaction, Job):
        transaction_using = "default"     # Django database alias (default: "default")

        def perform(self):
            Ledger.objects.create(...)    # rolled back if perform raises
            Account.objects.filter(...).update(...)

``perform`` runs in ``django.db.transaction.atomic(using=transaction_using)``: if it raises,
every SQL write it made is rolled back and the job fails as usual. When perform already runs
inside a transaction (a batch slice wrapped by :meth:`Transaction.rocketjob_transaction`, or a
caller's ``atomic`` block), it joins that transaction instead of adding a savepoint.

Batch jobs wrap each slice (an ``around("slice")`` callback), so a slice's records commit
together and a failing record rolls back its whole slice, which is then failed and can be
retried as a unit. ``job.rocketjob_transaction()`` is the same transaction as a context manager.
MongoDB writes (job state, slices) are not part of the SQL transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

from django.db import transaction

from rocketjob.plugins.job.callbacks import around


class Transaction:
    """Wraps perform (or each batch slice) in ``transaction.atomic``."""

    #: The Django database alias whose transaction wraps the work.
    transaction_using: ClassVar[str | None] = None

    @contextmanager
    def rocketjob_transaction(self) -> Iterator[None]:
        """A transaction on ``transaction_using``; joins an enclosing one if present."""
        with transaction.atomic(using=self.transaction_using, savepoint=False):
            yield

    @around("perform")
    def rocketjob_transaction_perform(self, proceed: Callable[[], None]) -> None:
        with self.rocketjob_transaction():
            proceed()

    @around("slice")
    def rocketjob_transaction_slice(self, proceed: Callable[[], None]) -> None:
        with self.rocketjob_transaction():
            proceed()
