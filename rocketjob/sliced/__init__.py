"""Slices: a batch job's records, stored apart from the job in per-job collections."""

from __future__ import annotations

from rocketjob.sliced.serializers import SERIALIZER_NAMES, Serializer, get_serializer
from rocketjob.sliced.slices import MAX_DOCUMENT_BYTES, Slice, Slices, collection_name

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "SERIALIZER_NAMES",
    "Serializer",
    "Slice",
    "Slices",
    "collection_name",
    "get_serializer",
]
