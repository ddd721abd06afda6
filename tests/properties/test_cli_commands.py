"""Generated arguments for the management commands.

``call_command`` with generated arguments for ``rocketjob_upload``, ``rocketjob_download``,
``rocketjob`` (control options, and run options of which one is always invalid, so no
supervisor starts) and ``mission_control_groups``; a few real subprocesses for the upload.
Whatever the arguments: a command either succeeds or raises ``CommandError`` (one line on
the command line, never a traceback), and a command that fails changed nothing - no
document, no collection, no file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from rocketjob.events import LOG_LEVELS
from tests.acceptance.workers_support import run_manage
from tests.helpers import settled_documents, stored_documents
from tests.properties.strategies import HUGE_INTS, budget, odd_text

JOB_CLASSES = ["CsvBatchJob", "EchoBatchJob", "Job.EchoBatchJob", "NoopJob", "NoSuchJob"]
FIELDS = ["priority", "run_at", "description", "destroy_on_complete", "nope", "", "state"]
VALUES = ["0", "1", "50", "abc", "2026-01-01T00:00:00", "not a date", "null", "[]", '"x"']
ENCODINGS = ["utf-8", "latin-1", "ascii", "utf-16", "bogus", ""]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Inputs of every kind the upload meets: good, corrupt, empty, missing, a directory."""
    csv = b"Name,Amount\nann,1\nbob,2\n"
    made = {
        "good.csv": csv,
        "good.csv.gz": gzip.compress(csv),
        "good.csv.bz2": bz2.compress(csv),
        "bad.csv.gz": b"not gzip",
        "bad.csv.bz2": b"not bzip2",
        "bad.csv.zip": b"not zip",
        "empty.csv": b"",
        "latin.csv": "Name,Amount\nJosé,1\n".encode("latin-1"),
        "ragged.csv": b"Name,Amount\nann\n",
        "lines.txt": b"a\nb\n",
    }
    paths = {}
    for name, data in made.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    paths["missing.csv"] = tmp_path / "missing.csv"
    paths["a directory"] = tmp_path
    return paths


@contextmanager
def rocketjob_logging_kept() -> Iterator[None]:
    """``rocketjob`` sets its logger's level; other tests must not see that."""
    logger = logging.getLogger("rocketjob")
    level, handlers = logger.level, list(logger.handlers)
    try:
        yield
    finally:
        logger.setLevel(level)
        logger.handlers[:] = handlers


def run(*args: str) -> CommandError | None:
    """Run a command in-process: None if it succeeded, its CommandError if it failed (any
    other exception fails the test: it would be a traceback on the command line)."""
    before = settled_documents()
    try:
        with rocketjob_logging_kept():
            call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as exc:
        if not any("\n" in arg for arg in args):  # argparse echoes what it was given
            assert "\n" not in str(exc).strip(), str(exc)
        assert stored_documents() == before, args
        return exc
    return None


def assignments() -> st.SearchStrategy[list[str]]:
    pair = st.tuples(
        st.one_of(st.sampled_from(FIELDS), odd_text), st.one_of(st.sampled_from(VALUES), odd_text)
    )
    return st.lists(pair.map(lambda kv: f"{kv[0]}={kv[1]}"), max_size=3)


@st.composite
def upload_arguments(draw: st.DrawFn, files: dict[str, Path]) -> list[str]:
    args = [
        draw(st.one_of(st.sampled_from(JOB_CLASSES), odd_text.filter(lambda t: t[:1] != "-"))),
        str(draw(st.sampled_from(list(files.values())))),
        "--no-progress",
    ]
    if draw(st.booleans()):
        size = draw(st.one_of(st.integers(-3, 5), st.sampled_from(HUGE_INTS)))
        args += ["--slice-size", str(size)]
    if draw(st.booleans()):
        args += ["--encoding", draw(st.one_of(st.sampled_from(ENCODINGS), odd_text))]
    if draw(st.booleans()):
        args += ["--category", draw(st.one_of(st.sampled_from(["main", "rejects"]), odd_text))]
    for assignment in draw(assignments()):
        args += ["--set", assignment]
    return args


@pytest.mark.django_db
def test_upload_with_generated_arguments_succeeds_or_fails_cleanly(
    files: dict[str, Path],
) -> None:
    @settings(max_examples=budget(150))
    @given(args=upload_arguments(files))
    def uploads(args: list[str]) -> None:
        run("rocketjob_upload", *args)

    uploads()


def test_a_few_real_upload_processes_never_print_a_traceback(
    rocketjob_db: Any, files: dict[str, Path]
) -> None:
    env = rocketjob_db.subprocess_env()

    @settings(max_examples=budget(3))
    @given(args=upload_arguments(files))
    def uploads(args: list[str]) -> None:
        before = settled_documents()
        result = run_manage(["rocketjob_upload", *args], env, timeout=60)
        assert "Traceback" not in result.stderr, result.stderr
        if result.returncode != 0:
            assert result.stderr.startswith("CommandError: "), result.stderr
            assert stored_documents() == before

    uploads()


@pytest.mark.django_db
def test_download_with_generated_arguments_succeeds_or_fails_cleanly(tmp_path: Path) -> None:
    from tests.mission_control import factories

    batch = factories.failed_batch(["ok", "bad one"])
    plain = factories.completed()
    target_dir = tmp_path / "out"
    target_dir.mkdir()
    names = st.one_of(
        st.sampled_from(["o.csv", "o.csv.gz", "o.zip", "o.bz2", "missing/o.csv", "."]),
        odd_text.filter(lambda t: t not in ("", ".", "..")),
    )

    @settings(max_examples=budget(100))
    @given(
        job_id=st.one_of(st.sampled_from([str(batch.pk), str(plain.pk)]), odd_text),
        name=names,
        category=st.one_of(st.sampled_from(["main", "rejects"]), odd_text),
        header=st.booleans(),
    )
    def downloads(job_id: str, name: str, category: str, header: bool) -> None:
        target = target_dir / name
        listing = sorted(p.name for p in target_dir.rglob("*"))
        extra = [] if header else ["--no-header"]
        args = [job_id, str(target), "--category", category, "--no-progress", *extra]
        error = run("rocketjob_download", *args)
        if error is not None:
            assert sorted(p.name for p in target_dir.rglob("*")) == listing, error

    downloads()


CONTROL = ["--list", "--stop", "--pause", "--resume", "--kill", "--dump", "--refresh"]


@st.composite
def rocketjob_arguments(draw: st.DrawFn) -> list[str]:
    """Control options, or run options that include one invalid value (no supervisor runs)."""
    kind = draw(st.sampled_from(["control", "worker", "log-level", "run"]))
    if kind == "control":
        option = draw(st.sampled_from(CONTROL))
        return [option] + ([draw(odd_text)] if draw(st.booleans()) else [])
    if kind == "worker":
        option = draw(st.sampled_from(["--stop-worker", "--kill-worker"]))
        return [option, draw(st.one_of(st.just("web1:100:0"), odd_text))]
    if kind == "log-level":
        level = draw(st.one_of(st.sampled_from(LOG_LEVELS), odd_text))
        return ["--set-log-level", level, "--target", draw(odd_text)]
    where = draw(st.one_of(st.sampled_from(['{"$bogus": 1}', "[1]", "{", '{"a": 1}']), odd_text))
    invalid = draw(
        st.sampled_from(
            [["--workers", "0"], ["--workers", "-4"], ["--processes", "0"], ["--include", "("]]
        )
    )
    return ["--where", where, *invalid]


@pytest.mark.django_db
def test_rocketjob_with_generated_arguments_succeeds_or_fails_cleanly() -> None:
    from rocketjob.runtime.server import Server

    Server.register("web1:100", max_workers=2)

    @settings(max_examples=budget(100))
    @given(args=rocketjob_arguments())
    def commands(args: list[str]) -> None:
        error = run("rocketjob", *args)
        if args[0] == "--where":
            assert error is not None, args  # one value is always invalid

    commands()


@pytest.mark.django_db
@settings(max_examples=budget(10))
@given(args=st.lists(st.one_of(st.sampled_from(["--verbosity", "0", "3", "--bogus"]), odd_text)))
def test_mission_control_groups_with_generated_arguments(args: list[str]) -> None:
    run("mission_control_groups", *args)
