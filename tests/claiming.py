"""Claiming from tests: the runtime's claim protocol (rocketjob.runtime.claim), job in hand.

Tests that drive a worker's steps one by one want the claimed job itself; a worker loop
runs ``Claim.work`` instead (see tests/integration/batch_support.py).
"""

from __future__ import annotations

from typing import Any

from rocketjob.runtime.claim import claim, next_job
from rocketjob.runtime.claim_filter import ClaimFilter


def next_claimed_job(
    job_class: Any, worker_name: str, claim_filter: ClaimFilter | None = None
) -> Any:
    """The job ``next_job`` claimed or joined for ``worker_name``, or None."""
    found = next_job(job_class, worker_name, claim_filter or ClaimFilter())
    return None if found is None else found.job


def claimed_job(job_class: Any, worker_name: str, claim_filter: ClaimFilter | None = None) -> Any:
    """The job a single queued claim took for ``worker_name``, or None."""
    found = claim(job_class, worker_name, claim_filter)
    return None if found is None else found.job
