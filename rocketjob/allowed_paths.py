"""The allow-list for every file path a user can make a job read, write or watch.

Mission Control users and Dirmon entries can set paths (an UploadFileJob's
``upload_file_name``, a Dirmon pattern or archive directory). Without a check, anyone able to
edit a job could make a worker read any file the worker can read (e.g. ``/etc/shadow``) and
show its lines on the slice page. Every such path must lie inside one of
``ROCKETJOB["dirmon_allowed_paths"]``; with none set, no path is allowed.

Paths are compared after ``os.path.realpath``, so ``..`` and symlinks (also a symlink inside an
allowed directory pointing outside it) cannot escape. Job fields declared with
``allowed_path=True`` are checked when they are set (create, edit) and again by the worker just
before ``perform``, which catches a document changed behind the application's back.

A worker reading such a file opens it with :func:`open_allowed`, which checks the file it
actually opened: whoever can write into an allowed directory could otherwise swap the file
(or a directory on its way) for a symlink to a secret between the check and the open.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from rocketjob.exceptions import RocketJobError

SETTING = "ROCKETJOB['dirmon_allowed_paths']"


class PathNotAllowedError(RocketJobError, ValueError):
    """A path a user set is outside the allowed paths; ``what`` names the field or role."""

    def __init__(self, message: str, what: str = "") -> None:
        super().__init__(message)
        self.what = what


def allowed_roots() -> list[Path]:
    """The configured allowed directories, resolved."""
    from rocketjob.conf import get_settings

    configured = get_settings().dirmon_allowed_paths
    if isinstance(configured, str):
        configured = tuple(part for part in configured.split(",") if part.strip())
    return [resolve(p.strip()) for p in configured]


def resolve(path: str | Path) -> Path:
    """``path`` with ``~`` expanded, made absolute, ``..`` and every symlink resolved."""
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def check_allowed(path: str | Path, what: str) -> Path:
    """The resolved path, or PathNotAllowedError if it is outside every allowed root."""
    try:
        resolved = resolve(path)
    except OSError as exc:  # e.g. a symlink replaced while it was being resolved
        raise PathNotAllowedError(f"{what} {str(path)!r} cannot be resolved: {exc}", what) from exc
    roots = allowed_roots()
    if not roots:
        raise PathNotAllowedError(
            f"{what} {str(path)!r} is not allowed: no {SETTING} are set", what
        )
    if not any(resolved == root or root in resolved.parents for root in roots):
        raise PathNotAllowedError(
            f"{what} {str(path)!r} is outside the allowed paths {[str(r) for r in roots]}", what
        )
    return resolved


def open_allowed(path: str | Path, what: str) -> BinaryIO:
    """``path`` opened for binary reading, proven to be a file inside the allow-list.

    The path is checked, opened, and then the *opened* file is checked again: on Linux by its
    real path (``/proc/self/fd``), elsewhere by comparing its device and inode with those of
    the path checked. A symlink swapped in between the two is refused with
    PathNotAllowedError; the caller closes the stream.
    """
    resolved = check_allowed(path, what)
    stream = open(resolved, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    try:
        _check_opened(stream.fileno(), resolved, path, what)
    except BaseException:
        stream.close()
        raise
    return stream


def _check_opened(fd: int, resolved: Path, path: str | Path, what: str) -> None:
    descriptor = Path(f"/proc/self/fd/{fd}")
    if descriptor.exists():
        check_allowed(os.readlink(descriptor), what)
        return
    opened, checked = os.fstat(fd), os.stat(resolved, follow_symlinks=False)
    if (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino):
        raise PathNotAllowedError(
            f"{what} {str(path)!r} changed while it was opened (a symlink swapped in?)", what
        )
