"""Race-safe "at most one such job" rules, enforced by MongoDB rather than by a query.

A check-then-insert ("is there already a queued job of this class? no, so insert") is not safe:
two processes can both check before either inserts. Instead each rule owns one field on the
job document that holds a *key* only while the job is in a state the rule covers, and a
**unique partial index** over that field (``partialFilterExpression: {field: {$type:
"string"}}``, valid on MongoDB 3.2+). Jobs outside those states have no key and are not indexed,
so any number of them may exist; two jobs holding the same key cannot, whichever process writes
second gets a duplicate-key error. The key is recomputed in ``clean()`` on every save and every
state transition, so it is written in the same atomic update as the state change.

:class:`~rocketjob.plugins.singleton.Singleton` (key: the class) and
:class:`~rocketjob.plugins.cron.Cron` (key: class and schedule) are built on this.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mongoengine.errors import DoesNotExist, NotUniqueError
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from rocketjob.exceptions import JobValidationError, StateConflictError

logger = logging.getLogger(__name__)


class DuplicateJobError(JobValidationError):
    """Another job already holds the exclusive key this job needs (Singleton, Cron)."""

    def __init__(self, message: str, key: str, existing_id: Any = None, rule: str = "") -> None:
        super().__init__(message)
        self.field_name = "state"
        self.key = key
        self.existing_id = existing_id
        #: The index name of the rule that refused it (``rocketjob_singleton`` ...).
        self.rule = rule


class ExclusiveKey:
    """One exclusive rule: a key field on the job and the unique partial index over it."""

    def __init__(self, field_name: str, index_name: str, describe: str) -> None:
        self.field_name = field_name
        self.index_name = index_name
        #: Format string for the error; receives ``job``, ``key`` and ``existing``.
        self.describe = describe
        self._indexed: set[tuple[int, str, str]] = set()
        self._lock = threading.Lock()

    def ensure_index(self, collection: Collection[Any]) -> None:
        """Create the unique partial index once per process and collection."""
        marker = (id(collection.database.client), collection.database.name, collection.name)
        if marker in self._indexed:
            return
        with self._lock:
            collection.create_index(
                [(self.field_name, 1)],
                name=self.index_name,
                unique=True,
                partialFilterExpression={self.field_name: {"$type": "string"}},
            )
            self._indexed.add(marker)

    def holder(self, collection: Collection[Any], key: str, job_id: Any) -> dict[str, Any] | None:
        """The other job that holds ``key``, if any (``find``, not ``count``: see the docs)."""
        query: dict[str, Any] = {self.field_name: key}
        if job_id is not None:
            query["_id"] = {"$ne": job_id}
        return collection.find_one(query, {"_id": 1, "state": 1})

    @contextmanager
    def guard(self, job: Any, key: str | None) -> Iterator[None]:
        """Turn a violation of this rule during a write into :class:`DuplicateJobError`.

        ``key`` is the key the write is about to store. MongoDB reports the violation as a
        duplicate-key error; a server that instead refuses a ``findAndModify`` silently makes
        the state-guarded update look like a lost race with an unchanged state, so that case
        is checked against the index field too.
        """
        collection = job._get_collection()
        self.ensure_index(collection)
        try:
            yield
        except (NotUniqueError, DuplicateKeyError) as exc:
            if key is None or self.field_name not in str(exc):
                raise
            self._reload(job)
            raise self._error(job, key, collection) from exc
        except StateConflictError as conflict:
            if key is None or conflict.actual != conflict.expected:
                raise
            if self.holder(collection, key, job.pk) is None:
                raise
            raise self._error(job, key, collection) from conflict

    def _error(self, job: Any, key: str, collection: Collection[Any]) -> DuplicateJobError:
        existing = self.holder(collection, key, job.pk)
        existing_id = existing["_id"] if existing else None
        where = f"job {existing_id} ({existing['state']})" if existing else "another job"
        message = self.describe.format(job=job, key=key, existing=where)
        logger.info("exclusive key conflict", extra={"key": key, "existing_id": str(existing_id)})
        return DuplicateJobError(message, key=key, existing_id=existing_id, rule=self.index_name)

    @staticmethod
    def _reload(job: Any) -> None:
        if job.pk is None:
            return
        try:
            job.reload()
        except DoesNotExist:
            return


class ExclusiveMixin:
    """Wraps saves and state transitions of a job in the guards of its exclusive rules.

    Plugins extend :meth:`rocketjob_exclusive_rules` cooperatively (call ``super()``) and set
    their key field in ``clean()``, which runs here before the write so the key is known.
    """

    def rocketjob_exclusive_rules(self) -> list[ExclusiveKey]:
        return []

    def rocketjob_successor_fields(self) -> dict[str, Any]:
        """Fields for the next instance a job schedules while it still holds its keys (Cron):
        a rule whose key that instance cannot take yet marks it here (see Singleton)."""
        return {}

    def save(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("validate", True):
            self.validate()  # type: ignore[attr-defined]
        with _guards(self, self.rocketjob_exclusive_rules()):
            return super().save(*args, **kwargs)  # type: ignore[misc]

    def rocketjob_persist_transition(self, event: str, expected: dict[str, Any]) -> None:
        self.validate()  # type: ignore[attr-defined]
        with _guards(self, self.rocketjob_exclusive_rules()):
            super().rocketjob_persist_transition(event, expected)  # type: ignore[misc]


@contextmanager
def _guards(job: Any, rules: list[ExclusiveKey]) -> Iterator[None]:
    if not rules:
        yield
        return
    rule, rest = rules[0], rules[1:]
    with rule.guard(job, getattr(job, rule.field_name, None)), _guards(job, rest):
        yield
