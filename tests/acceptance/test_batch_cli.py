"""``manage.py rocketjob_upload`` and ``rocketjob_download`` as real subprocesses."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rocketjob.job import Job
from tests.acceptance.workers_support import run_manage
from tests.helpers import database_snapshot, gzip_cut_short
from tests.integration.batch_support import job_state, work_until

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_manage(list(args), env)


def test_upload_then_download_with_progress(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    env = rocketjob_db.subprocess_env()
    source = tmp_path / "people.csv.gz"
    source.write_bytes(gzip.compress(b"Name,Amount\nann,1\nbob,x\ncat,3\n"))
    uploaded = manage(env, "rocketjob_upload", "CsvBatchJob", str(source), "--set", "priority=7")
    assert uploaded.returncode == 0, uploaded.stderr
    job_id, class_name, count, _ = uploaded.stdout.split()
    assert (class_name, count) == ("CsvBatchJob", "3")
    assert "upload" in uploaded.stderr and "records" in uploaded.stderr  # tqdm bar
    job = Job.load(job_id)
    assert job.priority == 7
    work_until(lambda: job_state(job) == "completed")

    target = tmp_path / "out.csv"
    downloaded = manage(env, "rocketjob_download", job_id, str(target))
    assert downloaded.returncode == 0, downloaded.stderr
    assert downloaded.stdout.strip() == f"2 records written to {target}"
    assert target.read_text() == "record,name,amount\n1,ANN,1\n3,CAT,3\n"
    assert "100%" in downloaded.stderr
    rejects = manage(
        env, "rocketjob_download", job_id, str(tmp_path / "r.json"), "--category", "rejects"
    )
    assert rejects.returncode == 0, rejects.stderr
    assert (tmp_path / "r.json").read_text() == '{"record": 2, "name": "bob", "amount": "x"}\n'


def test_bad_input_fails_cleanly_and_creates_no_job(
    rocketjob_db: TestDatabase, tmp_path: Path
) -> None:
    env = rocketjob_db.subprocess_env()
    source = tmp_path / "bad.csv"
    source.write_text("Name,Amount\nann,1\nbob\n")
    result = manage(env, "rocketjob_upload", "CsvBatchJob", str(source), "--no-progress")
    assert result.returncode == 1
    assert "line 3: 1 value, but the header has 2 columns" in result.stderr
    assert Job.objects.first() is None
    unknown = manage(env, "rocketjob_upload", "NoSuchJob", str(source))
    assert "no job class named 'NoSuchJob'" in unknown.stderr
    not_batch = manage(env, "rocketjob_upload", "NoopJob", str(source))
    assert "NoopJob is not a batch job" in not_batch.stderr


def test_download_is_refused_while_processing(rocketjob_db: TestDatabase, tmp_path: Path) -> None:
    from tests.jobsapp.batch_jobs import EchoBatchJob

    job = EchoBatchJob.create_from_upload(["a"])
    result = manage(
        rocketjob_db.subprocess_env(), "rocketjob_download", str(job.pk), str(tmp_path / "o")
    )
    assert result.returncode == 1
    assert "still being processed" in result.stderr
    assert not (tmp_path / "o").exists()


def _huge_line_file(path: Path) -> Path:
    path.write_text("small\n" + "x" * (17 * 1024 * 1024) + "\n")
    return path


#: (case, job class, file name, file bytes or None for a 17 MB line, extra args, message)
FAILED_UPLOADS = [
    ("corrupt-gz", "CsvBatchJob", "p.csv.gz", b"not gzip", [], "p.csv.gz is not a valid"),
    ("corrupt-bz2", "CsvBatchJob", "p.csv.bz2", b"not bz2", [], "p.csv.bz2 is not a valid"),
    ("corrupt-zip", "CsvBatchJob", "p.csv.zip", b"not zip", [], "p.csv.zip is not a valid"),
    (
        "truncated-gz",
        "CsvBatchJob",
        "t.csv.gz",
        gzip_cut_short(),
        [],
        "t.csv.gz is not a valid",
    ),
    (
        "bogus-encoding",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n",
        ["--encoding", "bogus"],
        "unknown encoding 'bogus'",
    ),
    (
        "priority-0",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n",
        ["--set", "priority=0"],
        "priority",
    ),
    (
        "priority-abc",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n",
        ["--set", "priority=abc"],
        "priority",
    ),
    (
        "bad-run-at",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n",
        ["--set", "run_at=abc"],
        "run_at",
    ),
    (
        "run-at-past-year-9999-in-utc",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n",
        ["--set", "run_at=9999-12-31T23:59:59-08:00"],
        "run_at: MongoDB cannot store",
    ),
    (
        "int-beyond-int64",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n",
        ["--set", f"throttle_running_workers={10**30}"],
        "throttle_running_workers: MongoDB cannot store",
    ),
    (
        "unknown-field",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n",
        ["--set", "nope=1"],
        "no field(s) ['nope']",
    ),
    (
        "slice-size-0",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n",
        ["--slice-size", "0"],
        "--slice-size must be at least 1",
    ),
    (
        "slice-size-negative",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n",
        ["--slice-size", "-5"],
        "--slice-size must be at least 1",
    ),
    (
        "missing-column",
        "CsvBatchJob",
        "p.csv",
        b"Name\na\n",
        [],
        "missing required column(s) ['amount']",
    ),
    (
        "ragged-row",
        "CsvBatchJob",
        "p.csv",
        b"Name,Amount\na,1\n" * 1 + b"b\n",
        [],
        "line 3: 1 value",
    ),
    (
        "record-too-large",
        "UncompressedEchoJob",
        "huge.txt",
        None,
        [],
        "more than MongoDB's 16,777,216-byte document limit",
    ),
]


@pytest.mark.parametrize(
    ("case", "job_class", "file_name", "data", "extra", "message"),
    FAILED_UPLOADS,
    ids=[case[0] for case in FAILED_UPLOADS],
)
def test_a_failed_upload_is_one_clear_line_and_leaves_the_database_as_it_was(
    rocketjob_db: TestDatabase,
    tmp_path: Path,
    case: str,
    job_class: str,
    file_name: str,
    data: bytes | None,
    extra: list[str],
    message: str,
) -> None:
    path = tmp_path / file_name
    if data is None:
        _huge_line_file(path)
    else:
        path.write_bytes(data)
    before = database_snapshot()
    result = manage(
        rocketjob_db.subprocess_env(),
        "rocketjob_upload",
        job_class,
        str(path),
        "--no-progress",
        *extra,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert message in result.stderr, result.stderr
    assert result.stderr.startswith("CommandError: "), result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert database_snapshot() == before
