"""The worker runtime: ``manage.py rocketjob`` supervisors, their servers and worker threads.

Import the pieces from their modules (``rocketjob.runtime.server.Server``,
``rocketjob.runtime.supervisor.Supervisor``); this package does not import them eagerly so
that Mission Control can read servers without loading the thread machinery.
"""

from __future__ import annotations
