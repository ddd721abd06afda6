"""The worked CSV example of docs/batch.md, run on the sample file it ships with."""

from __future__ import annotations

import io
import json
from pathlib import Path

from example_project.sample_jobs.csv_example import OrdersToEuroJob
from tests.integration.batch_support import job_state, work_until

SAMPLE = Path(__file__).resolve().parents[2] / "example_project" / "sample_data" / "orders.csv"


def test_orders_example_converts_and_rejects() -> None:
    job = OrdersToEuroJob.create_from_upload(str(SAMPLE))
    assert (job.record_count, job.slice_count) == (12, 3)
    work_until(lambda: job_state(job) == "completed", workers=2)
    assert job.statistics == {"converted": 10, "rejected": 2}
    out = io.StringIO()
    assert job.download(out) == 10
    lines = out.getvalue().splitlines()
    assert lines[0] == "order_id,customer,amount_eur"
    assert lines[1] == "1001,Acme Corp,110.40"
    assert lines[2] == '1002,"Globex, Inc.",75.50'
    assert [line.split(",")[0] for line in lines[1:]] == [
        "1001",
        "1002",
        "1003",
        "1005",
        "1007",
        "1008",
        "1009",
        "1010",
        "1011",
        "1012",
    ]
    rejects = io.StringIO()
    job.download(rejects, category="rejects")
    found = [json.loads(line) for line in rejects.getvalue().splitlines()]
    assert [(r["line"], r["order_id"], r["reason"]) for r in found] == [
        (4, "1004", "amount is not a number"),
        (6, "1006", "unknown currency"),
    ]
