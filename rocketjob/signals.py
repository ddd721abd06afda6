"""Django signals sent after a job event was applied.

Receivers get ``sender`` (the job class) and ``job``. They run in the thread that applied the
event (a worker thread, a web request, a test), so keep them quick and thread-safe.
"""

from __future__ import annotations

from django.dispatch import Signal

# use_caching: the receivers for a sender (a job class) are found once, not at every event
# (each performed job sends at least one); connecting or disconnecting clears the cache,
# as for Django's own model signals.
job_started = Signal(use_caching=True)
job_completed = Signal(use_caching=True)
job_failed = Signal(use_caching=True)
job_retried = Signal(use_caching=True)
job_paused = Signal(use_caching=True)
job_resumed = Signal(use_caching=True)
job_aborted = Signal(use_caching=True)
job_requeued = Signal(use_caching=True)

#: A batch job's ``before_batch`` is done and its slices are open to every worker. The
#: runtime wakes this process's idle workers so they join at once, not at their next poll.
batch_processing_started = Signal()
