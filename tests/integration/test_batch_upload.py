"""Upload sources and bad input: every error names the line, and nothing is kept."""

from __future__ import annotations

import bz2
import gzip
import io
import re
import zipfile
from pathlib import Path

import pytest

from rocketjob.batch import Batch, UploadError
from rocketjob.connection import slices_db
from rocketjob.exceptions import RocketJobError
from rocketjob.sliced.slices import collection_name
from tests.helpers import database_snapshot, gzip_cut_short
from tests.jobsapp.batch_jobs import CsvBatchJob, EchoBatchJob, StrictCsvJob, UncompressedEchoJob

CSV = "Name,Amount\nann,1\nbob,2\ncat,3\ndan,4\n"
ROWS = [["ann", "1"], ["bob", "2"], ["cat", "3"], ["dan", "4"]]


def stored_records(job: Batch) -> list[object]:
    return [record for _, records in job.input().each_records() for record in records]


def write(path: Path, text: str) -> Path:
    name = path.name
    data = text.encode()
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    elif name.endswith(".bz2"):
        path.write_bytes(bz2.compress(data))
    elif name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(name.removesuffix(".zip"), data)
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["in.csv", "in.csv.gz", "in.csv.bz2", "in.csv.zip"])
def test_upload_from_paths_decompressed_by_name(tmp_path: Path, name: str) -> None:
    job = CsvBatchJob.build()
    assert job.upload(write(tmp_path / name, CSV)) == 4
    assert stored_records(job) == ROWS
    assert job.upload_file_name == name
    assert (job.record_count, job.slice_count) == (4, 2)
    assert job.input_columns == {"main": ["name", "amount"]}


@pytest.mark.parametrize("name", ["in.csv", "in.csv.gz", "in.csv.bz2", "in.csv.zip"])
def test_upload_from_binary_streams_decompressed_by_file_name(tmp_path: Path, name: str) -> None:
    job = CsvBatchJob.build()
    with write(tmp_path / name, CSV).open("rb") as stream:
        assert job.upload(stream, file_name=name) == 4
    assert stored_records(job) == ROWS
    assert job.upload_file_name == name


def test_upload_from_text_and_binary_files_and_iterables() -> None:
    for source in (io.StringIO(CSV), io.BytesIO(CSV.encode()), CSV.splitlines(keepends=True)):
        job = CsvBatchJob.build()
        assert job.upload(source) == 4
        assert stored_records(job) == ROWS
    gz = io.BytesIO(gzip.compress(CSV.encode()))
    job = CsvBatchJob.build()
    assert job.upload(gz, file_name="x.csv.gz") == 4


def test_upload_records_and_a_callback_writer_store_records_as_given() -> None:
    job = EchoBatchJob.build()
    assert job.upload([{"a": 1}, [1, 2], 3]) == 3

    def produce(writer: object) -> None:
        for i in range(25):
            writer << {"n": i}  # type: ignore[operator]

    assert job.upload(produce) == 25
    assert job.record_count == 28
    stored = stored_records(job)
    assert stored[:3] == [{"a": 1}, [1, 2], 3]
    assert stored[3:] == [{"n": i} for i in range(25)]
    # Record numbers (slice ids) continue over uploads.
    assert [doc["_id"] for doc in job.input().collection.find().sort("first_record_number")] == [
        1,
        4,
        14,
        24,
    ]


def test_declared_columns_mean_no_header_line() -> None:
    job = CsvBatchJob.build()
    assert job.upload(io.StringIO("ann,1\nbob,2\n"), columns=["name", "amount"]) == 2
    assert stored_records(job) == [["ann", "1"], ["bob", "2"]]


def test_progress_is_reported_per_slice() -> None:
    seen: list[int] = []
    job = EchoBatchJob.build()
    job.upload([str(i) for i in range(25)], progress=seen.append)
    assert seen == [10, 10, 5]


BAD_INPUT = [
    ("unbalanced", 'Name,Amount\nann,1\nbob,"2\ncat,3\n', 3, "unbalanced quotes"),
    ("ragged", "Name,Amount\nann,1\nbob,2,extra\n", 3, "3 values, but the header has 2"),
    ("short row", "Name,Amount\nann\n", 2, "1 value, but the header has 2"),
    ("missing", "Name,Total\nann,1\n", 1, "missing required column(s) ['amount']"),
    ("duplicate", "Name,Amount,name\nann,1,2\n", 1, "duplicate column(s) ['name']"),
]


@pytest.mark.parametrize(
    ("case", "text", "line", "message"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT]
)
def test_bad_csv_names_the_line_and_keeps_nothing(
    tmp_path: Path, case: str, text: str, line: int, message: str
) -> None:
    job = CsvBatchJob.build()
    # Enough good rows first that some slices were already inserted when the error hits.
    good = "".join(f"r{i},{i}\n" for i in range(10))
    header, _, rest = text.partition("\n")
    if line > 1:
        text = f"{header}\n{good}{rest}"
        line += 10
    with pytest.raises(UploadError) as caught:
        job.upload(write(tmp_path / "bad.csv", text))
    assert caught.value.line == line
    assert f"line {line}: " in str(caught.value)
    assert message in str(caught.value)
    assert "bad.csv" in str(caught.value)
    assert job.record_count is None
    assert collection_name("input", job.pk) not in slices_db().list_collection_names()
    assert CsvBatchJob.objects.first() is None


def test_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"Name,Amount\nann,1\nJos\xe9,2\n")
    with pytest.raises(UploadError, match=r"line 3: not valid utf-8 \(byte 0xe9 at column 4\)"):
        CsvBatchJob.create_from_upload(str(path))
    assert CsvBatchJob.objects.first() is None
    job = CsvBatchJob.create_from_upload(str(path), upload_options={"encoding": "latin-1"})
    assert stored_records(job)[1] == ["José", "2"]


def test_unknown_columns_are_refused_unless_allowed() -> None:
    with pytest.raises(UploadError, match=r"line 1: unknown column\(s\) \['age'\]"):
        StrictCsvJob.build().upload(io.StringIO("id,name,age\n1,a,3\n"))
    job = StrictCsvJob.build()
    assert job.upload(io.StringIO("id,name\n1,a\n")) == 1


@pytest.mark.parametrize(
    ("text", "detail"), [("", "is empty"), ("Name,Amount\n", "has a header but no records")]
)
def test_an_empty_file_is_an_error(tmp_path: Path, text: str, detail: str) -> None:
    with pytest.raises(UploadError, match=f"empty.csv {detail}"):
        CsvBatchJob.create_from_upload(str(write(tmp_path / "empty.csv", text)))
    assert CsvBatchJob.objects.first() is None
    job = CsvBatchJob.build()
    assert job.upload(str(tmp_path / "empty.csv"), allow_empty=True) == 0
    assert job.record_count == 0


def test_a_record_over_the_document_limit_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("w") as out:
        for i in range(15):
            out.write(f"small {i}\n")
        out.write("x" * (17 * 1024 * 1024) + "\n")
        out.write("after\n")
    job = UncompressedEchoJob.build()  # compressed, 17 MB of "x" would fit
    with pytest.raises(UploadError) as caught:
        job.upload(str(path), encoding="ascii")
    assert caught.value.line == 16
    assert caught.value.record_number == 16
    assert "more than MongoDB's 16,777,216-byte document limit" in str(caught.value)
    assert collection_name("input", job.pk) not in slices_db().list_collection_names()


def test_large_records_that_fit_alone_are_split_into_smaller_slices() -> None:
    records = ["y" * (3 * 1024 * 1024) for _ in range(10)]  # 30 MB for one slice of 10
    job = UncompressedEchoJob.build()
    assert job.upload(records, slice_size=10) == 10
    assert job.slice_count > 1
    assert sum(len(r) for r in stored_records(job)) == 30 * 1024 * 1024


def test_failed_upload_to_a_saved_job_keeps_earlier_uploads() -> None:
    job = UncompressedEchoJob.create_from_upload(["a", "b"])
    with pytest.raises(UploadError):
        job.upload(io.StringIO("c\n" + "z" * (17 * 1024 * 1024) + "\n"))
    job.reload()
    assert job.record_count == 2
    assert stored_records(job) == ["a", "b"]


def test_upload_into_a_finished_job_is_refused() -> None:
    job = EchoBatchJob.create_from_upload(["a"])
    job.abort()
    with pytest.raises(UploadError, match="is aborted: its slices would never be processed"):
        job.upload(["b"])


#: (case, file name, file bytes, upload options, job fields, message)
FAILED_API_UPLOADS = [
    ("corrupt-gz", "p.csv.gz", b"not gzip", {}, {}, "p.csv.gz is not a valid gzip file"),
    ("corrupt-bz2", "p.csv.bz2", b"not bz2", {}, {}, "p.csv.bz2 is not a valid bzip2 file"),
    ("corrupt-zip", "p.csv.zip", b"not zip", {}, {}, "p.csv.zip is not a valid zip file"),
    ("truncated-gz", "t.csv.gz", gzip_cut_short(), {}, {}, "t.csv.gz is not a valid gzip"),
    ("bogus-encoding", "p.csv", CSV.encode(), {"encoding": "bogus"}, {}, "unknown encoding"),
    ("slice-size-0", "p.csv", CSV.encode(), {"slice_size": 0}, {}, "slice_size must be"),
    ("slice-size-negative", "p.csv", CSV.encode(), {"slice_size": -5}, {}, "slice_size must"),
    ("priority-0", "p.csv", CSV.encode(), {}, {"priority": 0}, "priority"),
    ("bad-run-at", "p.csv", CSV.encode(), {}, {"run_at": "abc"}, "run_at"),
    ("missing-column", "p.csv", b"Name\nann\n", {}, {}, "missing required column(s)"),
    ("ragged-row", "p.csv", CSV.encode() + b"eve\n", {}, {}, "line 6: 1 value"),
]


@pytest.mark.parametrize(
    ("case", "file_name", "data", "options", "fields", "message"),
    FAILED_API_UPLOADS,
    ids=[case[0] for case in FAILED_API_UPLOADS],
)
def test_a_failed_create_from_upload_leaves_the_database_as_it_was(
    tmp_path: Path,
    case: str,
    file_name: str,
    data: bytes,
    options: dict[str, object],
    fields: dict[str, object],
    message: str,
) -> None:
    path = tmp_path / file_name
    path.write_bytes(data)
    before = database_snapshot()
    with pytest.raises(RocketJobError, match=re.escape(message)):
        CsvBatchJob.create_from_upload(str(path), upload_options=options, **fields)
    assert database_snapshot() == before


def test_a_failed_upload_leaves_no_output_or_rejects_collection(tmp_path: Path) -> None:
    before = database_snapshot()
    job = CsvBatchJob.build()
    with pytest.raises(UploadError, match="line 3: 1 value"):
        job.upload(write(tmp_path / "bad.csv", "Name,Amount\nann,1\nbob\n"))
    assert database_snapshot() == before
    names = slices_db().list_collection_names()
    assert collection_name("output", job.pk) not in names
    assert collection_name("output", job.pk, "rejects") not in names


def test_a_failed_first_upload_into_a_saved_job_leaves_no_input_collection() -> None:
    job = UncompressedEchoJob.create()
    before = database_snapshot()
    with pytest.raises(UploadError, match="document limit"):
        job.upload(io.StringIO("c\n" + "z" * (17 * 1024 * 1024) + "\n"))
    assert database_snapshot() == before
    job.reload()
    assert job.record_count in (None, 0)
