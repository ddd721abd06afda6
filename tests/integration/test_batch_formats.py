"""Formats and serializers end to end: upload, workers, download."""

from __future__ import annotations

import base64
import io
import os
import threading

import pytest

from rocketjob.batch import UploadError
from tests.helpers import wait_for
from tests.integration.batch_support import job_state, work_until
from tests.jobsapp.batch_jobs import DictEchoJob, EchoBatchJob, EncryptedBatchJob


def test_encrypted_slices_are_unreadable_at_rest_and_round_trip(settings: object) -> None:
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings.ROCKETJOB = {**settings.ROCKETJOB, "encryption_key": key}  # type: ignore[attr-defined]
    lines = [f'{{"n": {i}, "secret": "s{i}"}}\n' for i in range(10)]
    job = EncryptedBatchJob.create_from_upload(io.StringIO("".join(lines)))
    stored = job.input().collection.find_one()
    assert b"secret" not in bytes(stored["records"])
    work_until(lambda: job_state(job) == "completed", workers=2)
    out, plain = io.StringIO(), io.StringIO()
    job.download(out)
    job.download(plain, category="plain")
    assert out.getvalue() == "".join(lines)
    assert plain.getvalue().splitlines() == [f"s{i}" for i in range(10)]


def test_json_lines_records_are_checked_against_required_columns() -> None:
    class JsonJob(EchoBatchJob):
        input_categories = [
            EchoBatchJob.input_category().__class__(format="json", required_columns=["id"])
        ]

    with pytest.raises(UploadError, match=r"line 2: missing required column\(s\) \['id'\]"):
        JsonJob.build().upload(io.StringIO('{"id": 1}\n{"name": "x"}\n'))


def test_psv_and_fixed_width_and_auto_formats_upload_as_dicts(tmp_path: object) -> None:
    from rocketjob.batch import InputCategory

    class PsvJob(DictEchoJob):
        input_categories = [InputCategory(format="auto")]

    class FixedJob(DictEchoJob):
        input_categories = [
            InputCategory(format="fixed", format_options={"layout": [("code", 3), ("qty", 4)]})
        ]

    psv = PsvJob.build()
    assert psv.upload(io.StringIO("Code|Qty\nabc|1\n"), file_name="x.psv") == 1
    fixed = FixedJob.build()
    assert fixed.upload(io.StringIO("abc   1\nxyz  22\n")) == 2
    for job in (psv, fixed):
        job.save()
        work_until(lambda job=job: job_state(job) == "completed")
    out = io.StringIO()
    fixed.download(out)
    assert out.getvalue() == "code,qty\nabc,1\nxyz,22\n"
    out = io.StringIO()
    psv.download(out)
    assert out.getvalue() == "code,qty\nabc,1\n"


def test_array_and_line_modes() -> None:
    from rocketjob.batch import InputCategory

    class ArrayJob(EchoBatchJob):
        input_categories = [InputCategory(format="csv", mode="array")]

    class LineJob(EchoBatchJob):
        input_categories = [InputCategory(format="csv", mode="line")]

    seen: dict[str, list[object]] = {}
    for klass in (ArrayJob, LineJob):
        job = klass.create_from_upload(io.StringIO("a,b\n1,2\n"))
        worker = klass.objects(pk=job.pk).first()
        worker.perform = lambda record, name=klass.__name__: seen.setdefault(name, []).append(
            record
        )
        worker.rocketjob_process_slice(worker.input().claim("w:1:0"))
    assert seen == {"ArrayJob": [["1", "2"]], "LineJob": ["a,b", "1,2"]}


def test_a_saved_job_is_processed_while_its_upload_is_still_running() -> None:
    job = EchoBatchJob.create()
    output = job.output().collection

    def produce(writer: object) -> None:
        for i in range(50):
            writer << f"r{i}"  # type: ignore[operator]
            if i == 24:
                # Hold the upload until workers have processed some of it.
                wait_for(lambda: output.count_documents({}) > 0, timeout=30)

    uploader = threading.Thread(target=job.upload, args=(produce,), daemon=True)
    uploader.start()
    work_until(lambda: not uploader.is_alive() and job_state(job) == "completed", workers=2)
    assert job.record_count == 50
    out = io.StringIO()
    job.download(out)
    assert out.getvalue().splitlines() == [f"r{i}" for i in range(50)]


def test_unknown_header_columns_can_be_skipped() -> None:
    from rocketjob.batch import InputCategory

    class SkipJob(DictEchoJob):
        input_categories = [InputCategory(format="csv", allowed_columns=["id"], skip_unknown=True)]

    job = SkipJob.create_from_upload(io.StringIO("id,junk\n1,x\n2,y\n"))
    assert job.input_columns == {"main": ["id", ""]}
    work_until(lambda: job_state(job) == "completed")
    out = io.StringIO()
    job.download(out)
    assert out.getvalue() == "id\n1\n2\n"
