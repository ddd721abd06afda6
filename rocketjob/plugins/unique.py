"""Unique: at most one live job per class and *key*, the key taken from the job's fields.

::

    from rocketjob import Job, Unique

    class ImportCustomerJob(Unique, Job):
        unique_fields = ("customer_id",)      # or override unique_key()
        customer_id = me.IntField(required=True)

        def perform(self): ...

    ImportCustomerJob.create(customer_id=7)
    ImportCustomerJob.create(customer_id=7)   # raises DuplicateJobError naming the first
    ImportCustomerJob.create(customer_id=8)   # another key: fine

Singleton is "one per class"; Unique is "one per class and key". A job holds its key while it
is in one of ``unique_states`` (queued, which includes scheduled, running and paused by
default); a completed, failed or aborted job releases it. With
``unique_on_duplicate = "return_existing"`` a duplicate ``create`` returns the job that holds
the key instead of raising, which makes enqueueing idempotent.

Race-safe like Singleton: the key lives in ``rocketjob_unique_key``, covered by a unique
partial index (see :mod:`rocketjob.plugins.exclusive`), so however many processes create the
same key at once, MongoDB stores exactly one.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, Literal

import mongoengine as me

from rocketjob.connection import register_index_hook
from rocketjob.exceptions import ConfigurationError
from rocketjob.plugins.exclusive import DuplicateJobError, ExclusiveKey, ExclusiveMixin
from rocketjob.plugins.job.throttle import throttle

__all__ = ["DuplicateJobError", "Unique"]

#: Readable keys up to this length; longer ones are stored as a SHA-256 digest.
MAX_READABLE_KEY = 200

UNIQUE_KEY = ExclusiveKey(
    field_name="rocketjob_unique_key",
    index_name="rocketjob_unique",
    describe=(
        "{job.class_name} with key {key!r} is already {existing}; only one queued, running or "
        "paused job per key is allowed"
    ),
)

OnDuplicate = Literal["raise", "return_existing"]


class Unique(ExclusiveMixin):
    """Refuses (or returns) a second live job of the class with the same key (race-safe)."""

    #: Fields whose values make up the key (used by the default :meth:`unique_key`).
    unique_fields: ClassVar[tuple[str, ...]] = ()
    #: What ``create`` does with a duplicate: raise DuplicateJobError or return the holder.
    unique_on_duplicate: ClassVar[OnDuplicate] = "raise"
    #: States in which a job holds its key.
    unique_states: ClassVar[tuple[str, ...]] = ("queued", "running", "paused")

    rocketjob_unique_key = me.StringField()
    #: Set on a cron successor created while its predecessor holds the key: it takes the key
    #: when a worker starts it (the ``unique_key_held`` throttle), as Singleton's does.
    rocketjob_unique_deferred = me.BooleanField()

    state: Any
    pk: Any
    _class_name: str

    def unique_key(self) -> Any:
        """The value that must be unique among live jobs of the class (JSON-serialisable).

        Override it to derive the key from fields in your own way (e.g. a date's month).
        """
        if not self.unique_fields:
            raise ConfigurationError(
                f"{type(self).__name__} uses Unique: set unique_fields or override unique_key()"
            )
        return [getattr(self, name) for name in self.unique_fields]

    def rocketjob_unique_text(self) -> str:
        """The stored form of :meth:`unique_key`: ``Class|json`` (a digest when long)."""
        text = json.dumps(self.unique_key(), sort_keys=True, default=str, separators=(",", ":"))
        if len(text) > MAX_READABLE_KEY:
            text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
        return f"{self._class_name}|{text}"

    def clean(self) -> None:
        super().clean()  # type: ignore[misc]
        if self.state not in self.unique_states or self.rocketjob_unique_deferred:
            self.rocketjob_unique_key = None
            return
        self.rocketjob_unique_key = self.rocketjob_unique_text()

    def rocketjob_exclusive_scope(self) -> str:
        return self.rocketjob_unique_text()

    def rocketjob_successor_fields(self) -> dict[str, Any]:
        return {**super().rocketjob_successor_fields(), "rocketjob_unique_deferred": True}

    @throttle(exclude="id")
    def unique_key_held(self) -> bool:
        """A deferred instance just claimed: take the key, or wait while another holds it."""
        if not self.rocketjob_unique_deferred:
            return False
        return not UNIQUE_KEY.take_deferred(
            self, self.rocketjob_unique_text(), "rocketjob_unique_deferred"
        )

    def rocketjob_exclusive_rules(self) -> list[ExclusiveKey]:
        return [*super().rocketjob_exclusive_rules(), UNIQUE_KEY]

    @classmethod
    def create(cls, **fields: Any) -> Any:
        """Create the job; a duplicate raises or returns the holder (``unique_on_duplicate``)."""
        if cls.unique_on_duplicate != "return_existing":
            return super().create(**fields)  # type: ignore[misc]
        for _ in range(5):
            try:
                return super().create(**fields)  # type: ignore[misc]
            except DuplicateJobError as exc:
                existing_id = exc.existing_id
                if exc.rule != UNIQUE_KEY.index_name:
                    # Another rule (Singleton, Cron) refused it. When the write broke both that
                    # rule's index and this key's, which one the server reports depends on its
                    # index order: the key's holder, if any, is still the job to return.
                    key = cls.build(**fields).rocketjob_unique_text()  # type: ignore[attr-defined]
                    holder = UNIQUE_KEY.holder(cls._get_collection(), key, None)  # type: ignore[attr-defined]
                    if holder is None:
                        raise
                    existing_id = holder["_id"]
                existing = cls.objects(pk=existing_id).first() if existing_id else None  # type: ignore[attr-defined]
                if existing is not None:
                    return existing
                # The holder ended between the refusal and the read: try again.
        return super().create(**fields)  # type: ignore[misc]


def _ensure_unique_index() -> None:
    from rocketjob.connection import jobs_db
    from rocketjob.job import JOBS_COLLECTION

    UNIQUE_KEY.ensure_index(jobs_db()[JOBS_COLLECTION])


register_index_hook(_ensure_unique_index)
