"""Download: an output category rendered back to its format, in input order.

Output slices share the ids of the input slices they came from, so reading them sorted by
``_id`` restores input order however many workers produced them. Tabular formats write a
header first: the category's ``columns``, or the keys of the first record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rocketjob.batch.sources import is_path, open_text_writer
from rocketjob.exceptions import RocketJobError
from rocketjob.formats import FormatError


class DownloadError(RocketJobError):
    """Download refused (slices still processing) or output that cannot be rendered."""


def ensure_downloadable(job: Any) -> None:
    """Refuse while slices may still produce output: before ``after_batch`` of a live job.

    ``after_batch`` itself may download (sub_state ``after``); completed, failed and aborted
    jobs may be downloaded (a failed job's output is partial).
    """
    if job.pk is None:
        raise DownloadError(f"{job} was never saved; it has no output to download")
    if job.state in ("queued", "running", "paused") and job.sub_state != "after":
        raise DownloadError(
            f"{job} is {job.state} and its slices are still being processed (sub_state "
            f"{job.sub_state!r}); download its output once processing is done"
        )


def download(
    job: Any,
    target: Any,
    *,
    category: str = "main",
    header: bool = True,
    encoding: str = "utf-8",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write output ``category`` of ``job`` to ``target`` (path or file); returns records."""
    output_category = job.output_category(category)
    ensure_downloadable(job)
    if is_path(target):
        _check_writable(Path(target))
    file_name = str(target) if is_path(target) else getattr(target, "name", None)
    fmt = output_category.format_for(file_name if isinstance(file_name, str) else None)
    slices = job.output(category)
    records = _records(slices.each_records(), progress)
    columns = list(output_category.columns) if output_category.columns else None
    first = next(records, _END)
    if columns is None and fmt.tabular and isinstance(first, dict):
        columns = list(first)
    try:
        with open_text_writer(target, encoding) as out:
            writer = fmt.writer(out, columns)
            if header and fmt.has_header:
                writer.write_header()
            if first is _END:
                return 0
            return _write_records(writer, _chain(first, records), columns, job, category)
    except OSError as exc:  # a full disk, no permission...: the partial file is removed
        raise DownloadError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _write_records(
    writer: Any, records: Iterator[Any], columns: list[str] | None, job: Any, category: str
) -> int:
    declared = job.output_category(category).columns
    written = 0
    for record in records:
        written += 1
        if columns is not None and isinstance(record, dict) and declared is None:
            extra = [key for key in record if key not in columns]
            if extra:
                raise DownloadError(
                    f"output record {written} has column(s) {extra} that the first record "
                    f"did not have; declare OutputCategory(columns=...) for {category!r}"
                )
        try:
            writer.write(record)
        except FormatError as exc:
            raise DownloadError(f"output record {written}: {exc}") from exc
    return written


def _check_writable(target: Path) -> None:
    """Refuse a target that is a directory or whose directory is missing, before any write."""
    if target.is_dir():
        raise DownloadError(f"cannot write {target}: it is a directory")
    parent = target.parent
    if not parent.exists():
        raise DownloadError(f"cannot write {target}: directory {parent} does not exist")
    if not parent.is_dir():
        raise DownloadError(f"cannot write {target}: {parent} is not a directory")


_END = object()


def _records(
    slices: Iterator[tuple[int, list[Any]]], progress: Callable[[int], None] | None
) -> Iterator[Any]:
    for _, records in slices:
        yield from records
        if progress is not None:
            progress(len(records))


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest
