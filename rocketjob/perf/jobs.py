"""The job classes the benchmarks enqueue (Ruby's SimpleJob and PerformanceJob).

Imported by ``rocketjob.jobs``, so every worker process knows them.
"""

from __future__ import annotations

from typing import Any

from rocketjob.batch import Batch, InputCategory, OutputCategory
from rocketjob.job import Job


class SimpleJob(Job):
    """Does nothing: measures the cost of claiming and completing a job.

    Kept after completion so its ``started_at``/``completed_at`` can be read back.
    """

    destroy_on_complete = False

    def perform(self) -> None:
        return None


class PerformanceJob(Batch, Job):
    """Returns each record unchanged, slices stored uncompressed (``none`` serializer)."""

    destroy_on_complete = False
    input_categories = [InputCategory(slice_size=1000, serializer="none")]
    output_categories = [OutputCategory(serializer="none")]

    def perform(self, record: Any) -> Any:
        return record


class CompressedPerformanceJob(PerformanceJob):
    """PerformanceJob with zlib-compressed input and output slices (``--compress``)."""

    input_categories = [InputCategory(slice_size=1000, serializer="compress")]
    output_categories = [OutputCategory(serializer="compress")]


class EncryptedPerformanceJob(PerformanceJob):
    """PerformanceJob with compressed and AES-GCM encrypted slices (``--encrypt``)."""

    input_categories = [InputCategory(slice_size=1000, serializer="encrypt")]
    output_categories = [OutputCategory(serializer="encrypt")]


def performance_job_class(compress: bool, encrypt: bool) -> type[PerformanceJob]:
    if encrypt:
        return EncryptedPerformanceJob
    if compress:
        return CompressedPerformanceJob
    return PerformanceJob


__all__ = [
    "CompressedPerformanceJob",
    "EncryptedPerformanceJob",
    "PerformanceJob",
    "SimpleJob",
    "performance_job_class",
]
