"""The fields a batch job adds to its document, and access to its slice collections."""

from __future__ import annotations

from typing import Any, ClassVar

import mongoengine as me

from rocketjob.batch.categories import InputCategory, OutputCategory
from rocketjob.sliced.slices import Slices, collection_name

SUB_STATES = ("before", "processing", "after")


class BatchModel:
    """``sub_state``, ``record_count`` and friends, plus the category declarations."""

    #: ``before`` -> ``processing`` -> ``after`` -> None while the job is running.
    sub_state = me.StringField(choices=SUB_STATES, null=True)
    #: Records uploaded to the main input; None while an upload is still in progress.
    record_count = me.IntField(min_value=0, null=True)
    #: Slices uploaded to the main input (for percent_complete).
    slice_count = me.IntField(default=0, min_value=0)
    #: Cleansed header of each input category (``""`` marks a skipped column).
    input_columns = me.DictField()
    #: Name of the file the main input was uploaded from.
    upload_file_name = me.StringField()
    #: Cap on slices of this job processed at the same time (None or 0: no cap).
    throttle_running_workers = me.IntField(min_value=0, null=True, user_editable=True)
    #: Counters incremented with ``statistics_inc`` from ``perform``.
    statistics = me.DictField()

    #: Declared by each job class; ``main`` is added when missing.
    input_categories: ClassVar[list[InputCategory]] = []
    #: No output category: results of ``perform`` are not stored.
    output_categories: ClassVar[list[OutputCategory]] = []

    #: Marks batch job classes (Mission Control shows their slices).
    rocketjob_is_batch: ClassVar[bool] = True
    #: Workers join running batch jobs to take slices (see rocketjob/runtime/claim.py).
    rocketjob_joinable: ClassVar[bool] = True
    #: Running batch jobs may be paused; slices in flight finish first.
    pausable = True

    pk: Any
    id: Any
    state: str

    # -- categories -----------------------------------------------------------------------
    @classmethod
    def input_category(cls, name: str = "main") -> InputCategory:
        for category in cls.input_categories:
            if category.name == name:
                return category
        if name == "main":
            return InputCategory()
        declared = ["main", *(c.name for c in cls.input_categories if c.name != "main")]
        raise ValueError(f"{cls.__name__} has no input category {name!r}; it has {declared}")

    @classmethod
    def output_category(cls, name: str = "main") -> OutputCategory:
        for category in cls.output_categories:
            if category.name == name:
                return category
        declared = [c.name for c in cls.output_categories]
        raise ValueError(f"{cls.__name__} has no output category {name!r}; it has {declared}")

    @classmethod
    def input_category_names(cls) -> list[str]:
        names = [c.name for c in cls.input_categories]
        return names if "main" in names else ["main", *names]

    def input(self, category: str = "main") -> Slices:
        """The input slices of ``category`` (``rocketjob_input_<id>``)."""
        return self.rocketjob_slices("input", category)

    def output(self, category: str = "main") -> Slices:
        """The output slices of ``category`` (``rocketjob_output_<id>``)."""
        return self.rocketjob_slices("output", category)

    def rocketjob_slices(self, kind: str, category: str) -> Slices:
        """Slices objects are kept per job instance: workers use them for every slice."""
        self.rocketjob_require_id()
        cache = self.__dict__.setdefault("_rocketjob_slices_cache", {})
        key = (kind, category, self.pk)
        found = cache.get(key)
        if found is None:
            declared = self.input_category if kind == "input" else self.output_category
            serializer = declared(category).serializer
            found = cache[key] = Slices(collection_name(kind, self.pk, category), serializer)
        return found

    def rocketjob_require_id(self) -> None:
        if self.pk is None:
            from bson import ObjectId

            # Slices are named after the job id; an unsaved job gets its id now, so that it
            # can be saved only once its upload has succeeded.
            self.id = ObjectId()

    def rocketjob_drop_slices(self, inputs: bool = True, outputs: bool = True) -> None:
        if self.pk is None:
            return
        if inputs:
            for name in self.input_category_names():
                self.input(name).drop()
        if outputs:
            for category in self.output_categories:
                self.output(category.name).drop()
