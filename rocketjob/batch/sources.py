"""Opening what ``upload`` is given, and where ``download`` writes.

Compression is chosen by file name: ``.gz`` (gzip), ``.bz2`` (bzip2) and ``.zip`` (a single
member; writing creates one member named like the file without ``.zip``).
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from rocketjob.formats.errors import FormatError


def is_path(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike))


def is_text_stream(stream: Any) -> bool:
    return isinstance(stream, io.TextIOBase) or "b" not in getattr(stream, "mode", "b")


@contextmanager
def open_binary(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary reader of ``path``, decompressed according to its name."""
    name = str(path)
    if not Path(name).is_file():
        raise FileNotFoundError(f"no such file: {name}")
    with open(name, "rb") as raw, decompressed(raw, name) as stream:
        yield stream


@contextmanager
def decompressed(raw: IO[bytes], file_name: str | None) -> Iterator[IO[bytes]]:
    """``raw`` decompressed as its file name says: ``.gz``, ``.bz2``, or a ``.zip`` holding
    exactly one file (which needs a seekable ``raw``); otherwise ``raw`` itself."""
    name = file_name or ""
    lowered = name.lower()
    if lowered.endswith(".zip"):
        with zipfile.ZipFile(raw) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise FormatError(
                    f"{name} holds {len(members)} files; upload needs a zip with exactly one"
                )
            with archive.open(members[0]) as stream:
                yield stream
        return
    if lowered.endswith(".gz"):
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            yield cast(IO[bytes], unzipped)
        return
    if lowered.endswith(".bz2"):
        with bz2.BZ2File(raw, "rb") as unpacked:
            yield cast(IO[bytes], unpacked)
        return
    yield raw


def _open_file(name: str | os.PathLike[str], mode: str, named: str | None = None) -> IO[bytes]:
    """A binary file, (de)compressed by the .gz/.bz2 extension of ``named`` (default: its
    own name); the caller closes it."""
    lowered = str(named or name).lower()
    if lowered.endswith(".gz"):
        return cast(IO[bytes], gzip.open(name, mode))
    if lowered.endswith(".bz2"):
        return cast(IO[bytes], bz2.open(name, mode))
    return cast(IO[bytes], open(name, mode))


@contextmanager
def open_text_writer(target: Any, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text writer for ``target``: a path (compressed by name, written atomically through a
    ``.partial`` file so a failed download leaves no half file) or a file object."""
    if not is_path(target):
        if is_text_stream(target):
            yield target
        else:
            wrapper = io.TextIOWrapper(target, encoding=encoding, newline="")
            try:
                yield wrapper
            finally:
                wrapper.flush()
                wrapper.detach()
        return
    final = Path(target)
    partial = final.with_name(final.name + ".partial")
    lowered = final.name.lower()
    try:
        if lowered.endswith(".zip"):
            with (
                zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive,
                archive.open(final.name[:-4], "w") as member,
                io.TextIOWrapper(member, encoding=encoding, newline="") as text,
            ):
                yield text
        else:
            raw = _open_file(partial, "wb", named=lowered)
            with io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
                yield text
        os.replace(partial, final)
    finally:
        if partial.exists():
            partial.unlink()
