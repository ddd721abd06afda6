"""``manage.py rocketjob_upload`` and ``rocketjob_download`` as real subprocesses."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from rocketjob.job import Job
from tests.acceptance.workers_support import run_manage
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
