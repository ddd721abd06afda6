"""Benchmarks: ``manage.py rocketjob_perf`` and ``manage.py rocketjob_batch_perf``.

Each command times the framework and, in the same run, a raw-pymongo *baseline* that does
the same database operations with the same concurrency and no framework, so the reported
``efficiency`` (framework rate / baseline rate) is comparable across machines and servers.
See docs/performance.md.
"""

from __future__ import annotations
