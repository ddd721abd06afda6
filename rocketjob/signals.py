"""Django signals sent after a job event was applied.

Receivers get ``sender`` (the job class) and ``job``. They run in the thread that applied the
event (a worker thread, a web request, a test), so keep them quick and thread-safe.
"""

from __future__ import annotations

from django.dispatch import Signal

job_started = Signal()
job_completed = Signal()
job_failed = Signal()
job_retried = Signal()
job_paused = Signal()
job_resumed = Signal()
job_aborted = Signal()
job_requeued = Signal()

#: A batch job's ``before_batch`` is done and its slices are open to every worker. The
#: runtime wakes this process's idle workers so they join at once, not at their next poll.
batch_processing_started = Signal()
