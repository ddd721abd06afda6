"""Download: refused while processing; rendered with a header; compressed by file name."""

from __future__ import annotations

import bz2
import gzip
import io
import zipfile
from pathlib import Path

import pytest

from rocketjob import ClaimFilter, Job
from rocketjob.batch import DownloadError
from tests.claiming import next_claimed_job
from tests.integration.batch_support import job_state, work_until
from tests.jobsapp.batch_jobs import CsvBatchJob, DictEchoJob, EchoBatchJob

CSV = "name,amount\nann,1\nbob,2\n"
EXPECTED = "record,name,amount\n1,ANN,1\n2,BOB,2\n"


def completed_csv_job() -> CsvBatchJob:
    job = CsvBatchJob.create_from_upload(io.StringIO(CSV))
    work_until(lambda: job_state(job) == "completed")
    return job


def read(path: Path) -> str:
    name = path.name
    if name.endswith(".gz"):
        return gzip.decompress(path.read_bytes()).decode()
    if name.endswith(".bz2"):
        return bz2.decompress(path.read_bytes()).decode()
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            assert archive.namelist() == [name.removesuffix(".zip")]
            return archive.read(archive.namelist()[0]).decode()
    return path.read_text()


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz", "out.csv.bz2", "out.csv.zip"])
def test_download_to_paths_compressed_by_name(tmp_path: Path, name: str) -> None:
    job = completed_csv_job()
    assert job.download(tmp_path / name) == 2
    assert read(tmp_path / name) == EXPECTED
    assert not (tmp_path / f"{name}.partial").exists()


def test_download_to_binary_and_text_files_with_or_without_header() -> None:
    job = completed_csv_job()
    binary = io.BytesIO()
    job.download(binary)
    assert binary.getvalue().decode() == EXPECTED
    text = io.StringIO()
    job.download(text, header=False)
    assert text.getvalue() == EXPECTED.split("\n", 1)[1]


def test_download_is_refused_while_slices_are_processing() -> None:
    job = EchoBatchJob.create_from_upload(["a", "b"])
    with pytest.raises(DownloadError, match="is queued and its slices are still being processed"):
        job.download(io.StringIO())
    claimed = next_claimed_job(Job, "a:1:0", ClaimFilter())
    claimed.rocketjob_batch_before("a:1:0")
    job.reload()
    with pytest.raises(DownloadError, match="sub_state 'processing'"):
        job.download(io.StringIO())
    work_until(lambda: job_state(job) == "completed")
    out = io.StringIO()
    assert job.download(out) == 2


def test_download_of_an_unknown_category_is_a_clear_error() -> None:
    job = completed_csv_job()
    with pytest.raises(
        ValueError, match=r"no output category 'nope'; it has \['main', 'rejects'\]"
    ):
        job.download(io.StringIO(), category="nope")


def test_columns_come_from_the_first_record_and_a_mismatch_leaves_no_file(
    tmp_path: Path,
) -> None:
    job = DictEchoJob.create_from_upload([{"a": 1, "b": 2}, {"b": 3}, {"a": 4, "c": 5}])
    work_until(lambda: job_state(job) == "completed")
    target = tmp_path / "out.csv"
    with pytest.raises(DownloadError, match=r"output record 3 has column\(s\) \['c'\]"):
        job.download(target)
    assert list(tmp_path.iterdir()) == []
    ok = DictEchoJob.create_from_upload([{"a": 1, "b": 2}, {"b": 3}])
    work_until(lambda: job_state(ok) == "completed")
    ok.download(target)
    assert target.read_text() == "a,b\n1,2\n,3\n"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("out", "is a directory"),
        ("out/.", "is a directory"),
        ("missing/out.csv", "does not exist"),
        ("a-file/out.csv", "is not a directory"),
    ],
)
def test_a_target_that_cannot_be_written_is_a_clear_error_and_writes_nothing(
    tmp_path: Path, name: str, message: str
) -> None:
    """These used to end in IsADirectoryError/FileNotFoundError (a traceback on the CLI)."""
    job = completed_csv_job()
    (tmp_path / "out").mkdir()
    (tmp_path / "a-file").write_text("keep")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(DownloadError, match=message):
        job.download(str(tmp_path / name))
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
