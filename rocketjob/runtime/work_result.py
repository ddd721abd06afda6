"""``WorkResult``: what running a claimed job did, as the job tells the runtime.

The contract between a job and the worker thread that runs it: ``job.rocketjob_work()``
(a job claimed from the queue) and ``job.rocketjob_join()`` (a running batch job a worker
joined) return one of these instead of leaving flags on the document for the runtime to
inspect. The worker loop acts on it (see ``rocketjob.runtime.worker``).
"""

from __future__ import annotations

import enum


class WorkResult(enum.Enum):
    #: perform finished and the job's completion was written.
    PERFORMED = "performed"
    #: perform (or a start, before or after callback) raised; the job was failed.
    FAILED = "failed"
    #: someone else changed the job meanwhile (abort, pause, fail); their change stands.
    CONFLICT = "conflict"
    #: a shared job (batch) has no queued work left for this worker: skip it for a moment.
    DRAINED = "drained"
    #: the worker stopped early (shutdown, time to look for higher-priority work, a
    #: throttle, a database error whose recovery is left to the next claim); work remains.
    YIELDED = "yielded"
