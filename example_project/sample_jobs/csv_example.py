"""A worked batch example: convert an orders CSV to EUR, rejecting bad rows.

Try it (see docs/batch.md)::

    python manage.py rocketjob_upload OrdersToEuroJob example_project/sample_data/orders.csv
    python manage.py rocketjob --workers 2          # Ctrl-C once the job completed
    python manage.py rocketjob_download <job id> converted.csv
    python manage.py rocketjob_download <job id> rejects.jsonl --category rejects
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rocketjob import Batch, Job
from rocketjob.batch import InputCategory, OutputCategory, Result

#: Fixed rates keep the example deterministic; a real job would load them in before_batch.
RATES = {"EUR": Decimal("1"), "USD": Decimal("0.92"), "GBP": Decimal("1.17")}


class OrdersToEuroJob(Batch, Job):
    """One record per order line; each worker converts its slices independently."""

    destroy_on_complete = False
    input_categories = [
        InputCategory(
            format="csv",
            slice_size=5,  # tiny, so the sample file makes several slices
            required_columns=["order_id", "customer", "amount", "currency"],
        )
    ]
    output_categories = [
        OutputCategory(format="csv", columns=["order_id", "customer", "amount_eur"]),
        OutputCategory(name="rejects", format="json"),
    ]

    def before_batch(self) -> None:
        self.logger.info("converting %s orders from %s", self.record_count, self.upload_file_name)

    def perform(self, record: dict[str, str]) -> object:
        rate = RATES.get(record["currency"].upper())
        try:
            amount = Decimal(record["amount"])
        except InvalidOperation:
            amount = None
        if rate is None or amount is None:
            self.statistics_inc("rejected")
            reason = "unknown currency" if rate is None else "amount is not a number"
            return Result("rejects", {"line": self.record_number, "reason": reason, **record})
        self.statistics_inc("converted")
        return {
            "order_id": record["order_id"],
            "customer": record["customer"],
            "amount_eur": str((amount * rate).quantize(Decimal("0.01"))),
        }

    def after_batch(self) -> None:
        self.reload()
        self.logger.info("done: %s", self.statistics)
