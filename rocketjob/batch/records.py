"""Performing the records of one slice, and collecting their results per output category.

The common case (no perform callbacks, records stored as they are, results to ``main`` or
nowhere) runs a tight loop: per record one ``perform`` call and a list append. The record's
number is kept in a plain list updated in place (see ``BatchWorker.record_number``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rocketjob.batch.categories import Result, Results
from rocketjob.plugins.job.coroutines import AwaitRunner, call_perform, slice_runner
from rocketjob.sliced.slices import Slice


class BatchRecords:
    """Record-level helpers of :class:`~rocketjob.batch.worker.BatchWorker`."""

    input_columns: Any

    def rocketjob_perform_records(
        self, slice_: Slice, outputs: dict[str, list[Any]], position: list[int]
    ) -> None:
        """perform() each record from ``position[1]`` on, collecting results.

        The common case (no perform callbacks, records stored as they are, results to
        ``main`` or nowhere) runs a tight loop; everything else takes the general one.
        """
        with slice_runner(type(self)) as runner:
            self.rocketjob_perform_slice_records(slice_.records, outputs, position, runner)

    def rocketjob_perform_slice_records(
        self,
        records: list[Any],
        outputs: dict[str, list[Any]],
        position: list[int],
        runner: AwaitRunner | None,
    ) -> None:
        convert = self.rocketjob_record_converter()
        keep_nils = self.rocketjob_keep_nils()
        main = outputs.get("main")
        if (
            convert is None
            and not self.rocketjob_has_perform_callbacks()
            and not keep_nils.get("main")
        ):
            perform = self.perform  # type: ignore[attr-defined]
            if runner is not None:
                perform = self.rocketjob_awaiting_perform(runner)
            append = main.append if main is not None else None
            for index in range(position[1], len(records)):
                position[1] = index
                result = perform(records[index])
                if result is None:
                    continue
                kind = type(result)
                if kind is Result or kind is Results or (kind is list and _has_results(result)):
                    self.rocketjob_store_result(outputs, result, keep_nils)
                elif append is not None:
                    append(result)
            position[1] = len(records)
            return
        for index in range(position[1], len(records)):
            position[1] = index
            record = records[index] if convert is None else convert(records[index])
            result = self.rocketjob_perform_with_callbacks(record, runner)
            self.rocketjob_store_result(outputs, result, keep_nils)
        position[1] = len(records)

    def rocketjob_store_result(
        self, outputs: dict[str, list[Any]], result: Any, keep_nils: dict[str, bool]
    ) -> None:
        main = outputs.get("main")
        if result is None:
            if main is not None and keep_nils.get("main"):
                main.append(None)
        elif isinstance(result, Result):
            self.rocketjob_collect(outputs, result, keep_nils)
        elif isinstance(result, list) and _has_results(result):
            for item in result:
                self.rocketjob_collect(outputs, item, keep_nils)
        elif main is not None:
            main.append(result)

    def rocketjob_awaiting_perform(self, runner: AwaitRunner) -> Callable[[Any], Any]:
        """``perform(record)`` of an ``async def perform``, awaited on the slice's loop."""
        perform = self.perform  # type: ignore[attr-defined]

        def awaiting(record: Any) -> Any:
            return runner(perform(record))

        return awaiting

    def rocketjob_perform_with_callbacks(
        self, record: Any, runner: AwaitRunner | None = None
    ) -> Any:
        self.rocketjob_run_callbacks("before", "perform")  # type: ignore[attr-defined]
        result = self.rocketjob_run_around(  # type: ignore[attr-defined]
            "perform",
            lambda: call_perform(self.perform, record, runner=runner),  # type: ignore[attr-defined]
        )
        self.rocketjob_run_callbacks("after", "perform")  # type: ignore[attr-defined]
        return result

    @staticmethod
    def rocketjob_collect(
        outputs: dict[str, list[Any]], result: Result, keep_nils: dict[str, bool]
    ) -> None:
        if result.category not in outputs:
            raise ValueError(
                f"perform returned a Result for output category {result.category!r}, "
                f"which is not declared; declared: {sorted(outputs)}"
            )
        if result.value is not None or keep_nils.get(result.category):
            outputs[result.category].append(result.value)

    # -- helpers --------------------------------------------------------------------------
    def rocketjob_record_converter(self) -> Callable[[Any], Any] | None:
        """Turns stored rows into dicts (hash mode with captured columns), else None."""
        category = self.input_category("main")  # type: ignore[attr-defined]
        columns = (self.input_columns or {}).get("main")
        if category.mode != "hash" or not columns:
            return None
        names = list(columns)
        if all(names):

            def to_dict(record: Any) -> Any:
                return dict(zip(names, record, strict=False)) if type(record) is list else record

            return to_dict
        kept = [(index, name) for index, name in enumerate(names) if name]

        def to_dict_skipping(record: Any) -> Any:
            if type(record) is not list:
                return record
            return {name: record[index] for index, name in kept if index < len(record)}

        return to_dict_skipping

    def rocketjob_has_perform_callbacks(self) -> bool:
        from rocketjob.plugins.job.callbacks import callback_names

        klass = type(self)
        return any(callback_names(klass, kind, "perform") for kind in ("before", "after", "around"))

    def rocketjob_keep_nils(self) -> dict[str, bool]:
        return {c.name: c.nils for c in self.output_categories}  # type: ignore[attr-defined]

    def rocketjob_output_buffers(self, slice_: Slice) -> dict[str, list[Any]]:
        """One list per output category; a resumed slice starts from its saved output."""
        buffers: dict[str, list[Any]] = {}
        for category in self.output_categories:  # type: ignore[attr-defined]
            if slice_.processing_record_number:
                buffers[category.name] = self.output(category.name).read_output(slice_.id)  # type: ignore[attr-defined]
            else:
                buffers[category.name] = []
        return buffers

    def rocketjob_write_outputs(self, slice_: Slice, outputs: dict[str, list[Any]]) -> None:
        for name, records in outputs.items():
            if records:
                self.output(name).write_output(slice_.id, records)  # type: ignore[attr-defined]


def _has_results(value: list[Any]) -> bool:
    return bool(value) and isinstance(value[0], Result)
