"""Upload: records from a file, stream, iterable, range or callback into input slices.

Records are cut into slices of ``slice_size``, encoded once (checking the 16 MiB document
limit before anything is sent) and inserted 20 slices per ``insert_many``.

**A failed upload keeps nothing.** For a job that was never saved (the recommended way:
``job = ImportJob.build(...); job.upload(path); job.save()``), the partial input collection
is dropped and the job is never created. For a job that is already saved, the slices this
upload inserted and that no worker has taken yet are deleted and ``record_count`` is left as
it was. Either way :class:`UploadError` names the line (and record) at fault.
"""

from __future__ import annotations

import codecs
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import bson
from bson.errors import InvalidDocument
from bson.raw_bson import RawBSONDocument

from rocketjob.batch.reader import RecordReader
from rocketjob.batch.sources import is_path
from rocketjob.exceptions import RocketJobError
from rocketjob.formats import FormatError
from rocketjob.sliced.slices import MAX_DOCUMENT_BYTES, Slices, SliceTooLargeError

SLICES_PER_INSERT = 20
BYTES_PER_INSERT = 8 * 1024 * 1024
#: A slow source (a stream, a query) still gets its slices to workers at least this often.
SECONDS_PER_INSERT = 1.0
Progress = Callable[[int], None]


class UploadError(RocketJobError, ValueError):
    """An upload failed; nothing it inserted was kept. ``line``/``record_number`` if known."""

    def __init__(
        self, message: str, *, line: int | None = None, record_number: int | None = None
    ) -> None:
        self.line = line
        self.record_number = record_number
        super().__init__(message)


class _Slicer:
    """Cuts records into slices and inserts them in batches."""

    def __init__(
        self,
        slices: Slices,
        first_record_number: int,
        slice_size: int,
        progress: Progress | None,
        before_first_insert: Callable[[], None],
        eager: bool = False,
    ) -> None:
        self.slices = slices
        self.next_number = first_record_number
        self.slice_size = slice_size
        self.progress = progress
        self.before_first_insert = before_first_insert
        self.records: list[Any] = []
        self.lines: list[int | None] = []
        self.pending: list[RawBSONDocument] = []
        self.pending_bytes = 0
        self.inserted_any = False
        self.last_flush = time.monotonic()
        #: Insert every slice at once (workers may be processing the job during the upload).
        self.eager = eager
        self.record_count = 0
        self.slice_count = 0

    def add(self, line: int | None, record: Any) -> None:
        self.records.append(record)
        self.lines.append(line)
        if len(self.records) >= self.slice_size:
            self.cut()

    def cut(self) -> None:
        if self.records:
            self.encode(self.next_number, self.records, self.lines)
            self.next_number += len(self.records)
            if self.progress is not None:
                self.progress(len(self.records))
            self.records, self.lines = [], []
        if (
            self.eager
            or len(self.pending) >= SLICES_PER_INSERT
            or self.pending_bytes >= BYTES_PER_INSERT
            or time.monotonic() - self.last_flush >= SECONDS_PER_INSERT
        ):
            self.flush()

    def encode(self, first: int, records: list[Any], lines: list[int | None]) -> None:
        try:
            document = self.slices.encode(first, records)
        except InvalidDocument:
            index, reason = _unencodable(records)
            where = f"line {lines[index]}: " if lines[index] is not None else ""
            raise UploadError(
                f"{where}record {first + index} cannot be stored: {reason}",
                line=lines[index],
                record_number=first + index,
            ) from None
        except SliceTooLargeError as exc:
            if len(records) == 1:
                where = f"line {lines[0]}: " if lines[0] is not None else ""
                raise UploadError(
                    f"{where}record {first} is {exc.size:,} bytes once stored, more than "
                    f"MongoDB's {MAX_DOCUMENT_BYTES:,}-byte document limit",
                    line=lines[0],
                    record_number=first,
                ) from None
            half = len(records) // 2
            self.encode(first, records[:half], lines[:half])
            self.encode(first + half, records[half:], lines[half:])
            return
        self.pending.append(document)
        self.pending_bytes += len(document.raw)
        self.record_count += len(records)
        self.slice_count += 1

    def flush(self) -> None:
        if not self.pending:
            return
        if not self.inserted_any:
            self.before_first_insert()
            self.inserted_any = True
        self.slices.insert_encoded(self.pending)
        self.pending, self.pending_bytes = [], 0
        self.last_flush = time.monotonic()

    def finish(self) -> None:
        self.cut()
        self.flush()


def _unencodable(records: list[Any]) -> tuple[int, str]:
    """The first record BSON cannot encode, and why (only called once encoding failed)."""
    for index, record in enumerate(records):
        try:
            bson.encode({"r": record})
        except InvalidDocument as exc:
            return index, str(exc)
    return 0, "the serializer could not store these records"


def range_records(numbers: range, slice_size: int) -> Iterator[tuple[None, list[int]]]:
    """One ``[first, last]`` record per slice_size integers of ``numbers`` (step 1 or -1)."""
    if numbers.step not in (1, -1):
        raise UploadError(f"upload of a range needs step 1 or -1, not {numbers.step}")
    for start in range(0, len(numbers), slice_size):
        chunk = numbers[start : start + slice_size]
        yield None, [chunk[0], chunk[-1]]


class _Writer:
    """What a callback source receives: ``writer << record`` or ``writer.append(record)``."""

    def __init__(self, slicer: _Slicer) -> None:
        self._slicer = slicer

    def append(self, record: Any) -> _Writer:
        self._slicer.add(None, record)
        return self

    __lshift__ = append


def upload(
    job: Any,
    source: Any,
    *,
    category: str = "main",
    file_name: str | None = None,
    columns: Iterable[str] | None = None,
    slice_size: int | None = None,
    encoding: str | None = None,
    allow_empty: bool = False,
    progress: Progress | None = None,
) -> int:
    """Upload ``source`` into ``job``'s input ``category``; returns the number of records."""
    input_category = job.input_category(category)
    if job.pk is not None and job.state in ("completed", "aborted"):
        raise UploadError(f"{job} is {job.state}: its slices would never be processed")
    if file_name is None and is_path(source):
        file_name = os.path.basename(str(source))
    fmt = input_category.format_for(file_name)
    size = _checked_slice_size(slice_size, input_category.slice_size)
    encoding = _checked_encoding(encoding or input_category.format_options.get("encoding"))
    unsaved = job.pk is None
    slices: Slices = job.input(category)
    created = unsaved or not _exists(slices)
    first = _next_record_number(job, slices, category)
    reader = RecordReader(input_category, fmt, columns)

    def before_first_insert() -> None:
        # Indexes are created only once there is something to insert: creating one creates
        # its collection, and a failed upload must leave no collection behind.
        slices.create_indexes()
        if reader.columns is not None and not unsaved:
            job.set_fields(input_columns={**(job.input_columns or {}), category: reader.columns})

    per_slice = 1 if isinstance(source, range) else size
    slicer = _Slicer(slices, first, per_slice, progress, before_first_insert, eager=not unsaved)
    try:
        if isinstance(source, range):
            for line, record in range_records(source, size):
                slicer.add(line, record)
        elif callable(source) and not hasattr(source, "read"):
            source(_Writer(slicer))
        else:
            for line, record in reader.from_source(source, file_name, encoding):
                slicer.add(line, record)
        slicer.finish()
        if slicer.record_count == 0 and reader.from_file and not allow_empty:
            detail = "has a header but no records" if reader.header_seen else "is empty"
            raise UploadError(f"{file_name or 'the file'} {detail}", line=None)
    except BaseException as exc:
        _roll_back(slices, created, unsaved, first)
        if isinstance(exc, UNREADABLE) and not isinstance(exc, FileNotFoundError):
            raise UploadError(
                f"{file_name or 'the input'} {_unreadable(file_name)} "
                f"({type(exc).__name__}: {exc}); nothing was uploaded"
            ) from exc
        if isinstance(exc, FormatError):
            raise UploadError(
                f"cannot upload {file_name or 'the input'}: {exc}; nothing was uploaded",
                line=exc.line,
                record_number=exc.record_number,
            ) from exc
        if isinstance(exc, UploadError):
            raise UploadError(
                f"cannot upload {file_name or 'the input'}: {exc}; nothing was uploaded",
                line=exc.line,
                record_number=exc.record_number,
            ) from exc
        raise
    if not slicer.inserted_any:  # an allowed empty upload: the collection still gets its index
        slices.create_indexes()
    if category == "main":
        for output_category in job.output_categories:
            job.output(output_category.name).create_output_indexes()
    _record_upload(job, category, slicer, reader.columns, file_name, unsaved)
    return slicer.record_count


#: What reading a corrupt compressed file raises (gzip, bzip2, zip and zlib all differ).
UNREADABLE = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


def _unreadable(file_name: str | None) -> str:
    lowered = (file_name or "").lower()
    for suffix, kind in ((".gz", "gzip"), (".bz2", "bzip2"), (".zip", "zip")):
        if lowered.endswith(suffix):
            return f"is not a valid {kind} file"
    return "cannot be read"


def _checked_slice_size(requested: Any, declared: int) -> int:
    """``requested`` (None: the category's) if it is a whole number of at least 1."""
    if requested is None:
        return declared
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise UploadError(f"slice_size must be a whole number of at least 1, got {requested!r}")
    return requested


def _checked_encoding(encoding: str | None) -> str:
    """A known text encoding, checked before anything is read or written."""
    name = encoding or "utf-8"
    try:
        codecs.lookup(name)
    except (LookupError, TypeError):
        raise UploadError(f"unknown encoding {name!r}; nothing was uploaded") from None
    return name


def _exists(slices: Slices) -> bool:
    names = slices.collection.database.list_collection_names(filter={"name": slices.name})
    return slices.name in names  # some servers ignore the filter and list every collection


def _next_record_number(job: Any, slices: Slices, category: str) -> int:
    """Record numbers continue over uploads, so slice ids stay unique and ordered."""
    after_last = slices.last_record_number()
    uploaded = int(job.record_count or 0) if category == "main" else 0
    return max(after_last, uploaded) + 1


def _roll_back(slices: Slices, created: bool, unsaved: bool, first: int) -> None:
    """Remove what this upload inserted; a collection it created goes once it is empty."""
    if unsaved:
        slices.drop()
        return
    slices.collection.delete_many({"_id": {"$gte": first}, "state": "queued"})
    if created and slices.collection.count_documents({}, limit=1) == 0:
        slices.drop()


def _record_upload(
    job: Any,
    category: str,
    slicer: _Slicer,
    columns: list[str] | None,
    file_name: str | None,
    unsaved: bool,
) -> None:
    changes: dict[str, Any] = {}
    if columns is not None:
        changes["input_columns"] = {**(job.input_columns or {}), category: columns}
    if category == "main":
        changes["record_count"] = slicer.next_number - 1
        changes["slice_count"] = int(job.slice_count or 0) + slicer.slice_count
        if file_name:
            changes["upload_file_name"] = file_name
    if unsaved:
        for name, value in changes.items():
            setattr(job, name, value)
    elif changes:
        job.set_fields(**changes)
