"""Batch jobs: one job, millions of records, processed in slices by many workers.

::

    from rocketjob import Batch, Job
    from rocketjob.batch import InputCategory, OutputCategory

    class ImportJob(Batch, Job):
        input_categories = [InputCategory(format="csv", required_columns=["email"])]
        output_categories = [OutputCategory(format="csv", columns=["email", "status"])]

        def perform(self, record):          # record: a dict keyed by the cleansed header
            return {"email": record["email"], "status": "ok"}

    job = ImportJob.build(description="nightly import")
    job.upload("people.csv.gz")              # the job is saved only if this succeeds
    job.save()
    ...
    job.reload(); job.download("results.csv")

See docs/batch.md for the lifecycle, categories, formats, serializers and failure handling.
"""

from __future__ import annotations

from typing import Any

from rocketjob.batch.batch_throttles import BatchThrottles, batch_throttle
from rocketjob.batch.categories import InputCategory, OutputCategory, Result, Results
from rocketjob.batch.download import DownloadError, download
from rocketjob.batch.lower_priority import LowerPriority
from rocketjob.batch.model import BatchModel
from rocketjob.batch.state_machine import BatchStateMachine, requeue_dead_server_slices
from rocketjob.batch.statistics import BatchStatistics
from rocketjob.batch.throttle import BatchThrottle
from rocketjob.batch.throttle_windows import ThrottleWindows
from rocketjob.batch.upload import UploadError, upload
from rocketjob.batch.worker import BatchSlicesFailedError, BatchWorker
from rocketjob.runtime.claim import register_dead_server_hook


class Batch(
    BatchWorker, BatchStateMachine, BatchStatistics, BatchThrottle, BatchThrottles, BatchModel
):
    """Mixin that makes a job a batch job: place it before ``Job`` in the bases."""

    def upload(self, source: Any, **options: Any) -> int:
        """Upload records into an input category; see :func:`rocketjob.batch.upload.upload`.

        ``source``: a file path (``.gz``/``.bz2``/``.zip`` decompressed by name), a file
        object, an iterable of lines or records, a ``range`` (one ``[first, last]`` record per
        slice) or a callable receiving a writer (``writer << record``). Options: ``category``,
        ``file_name``, ``columns``, ``slice_size``, ``encoding``, ``allow_empty``,
        ``progress`` (called with the number of records of each slice). Returns the number of
        records uploaded. Raises :class:`UploadError`, naming the line, on bad input.
        """
        return upload(self, source, **options)

    def download(self, target: Any, **options: Any) -> int:
        """Write an output category to ``target`` (path or file object) in input order.

        Options: ``category`` (``main``), ``header`` (True), ``encoding``, ``progress``.
        Raises :class:`DownloadError` while slices are still being processed.
        """
        return download(self, target, **options)

    @classmethod
    def create_from_upload(
        cls, source: Any, upload_options: dict[str, Any] | None = None, **fields: Any
    ) -> Any:
        """Build a job, upload ``source`` and save it: the job exists only if the upload
        succeeded. Its fields are validated first, so bad ones cost no upload."""
        job = cls.build(**fields)  # type: ignore[attr-defined]
        job.validate()
        job.rocketjob_check_encodable(fields)
        job.upload(source, **(upload_options or {}))
        try:
            job.save(force_insert=True)
        except BaseException:
            job.rocketjob_drop_slices()
            raise
        return job


register_dead_server_hook(requeue_dead_server_slices)

__all__ = [
    "Batch",
    "BatchSlicesFailedError",
    "DownloadError",
    "InputCategory",
    "LowerPriority",
    "OutputCategory",
    "Result",
    "Results",
    "ThrottleWindows",
    "UploadError",
    "batch_throttle",
]
