"""DirmonJob: every 5 minutes, start jobs for files that arrived in watched directories.

::

    from rocketjob.jobs import DirmonEntry, DirmonJob

    DirmonEntry(
        name="bank files",
        pattern="/data/incoming/bank/*.csv",
        job_class_name="BankImportJob",          # a Batch job: the file is uploaded into it
        properties={"priority": 20},
        archive_directory="archive",             # /data/incoming/bank/archive/<job id>_<name>
    ).save()
    entry.enable()
    DirmonJob.create()                           # once; it re-schedules itself

A file is taken only when its size is unchanged since the previous run, so files still being
written (or copied) are left alone until they are stable. Sizes are remembered in
``previous_file_names``, copied into each next instance. An entry whose processing raises
(bad pattern, path outside the allow-list, unknown class) moves to ``failed`` with the
error, and the other entries carry on. The next instance is created when this one ends
(``cron_after_start = False``), so two scans never overlap.
"""

from __future__ import annotations

from typing import Any

import mongoengine as me

from rocketjob import queries
from rocketjob.job import Job
from rocketjob.jobs.dirmon_entry import DirmonEntry
from rocketjob.plugins.cron import Cron


class DirmonJob(Cron, Job):
    """Scans enabled DirmonEntry patterns and starts a job per stable file."""

    cron_schedule = "*/5 * * * * UTC"
    cron_after_start = False
    priority = 30
    description = "directory monitor"
    destroy_on_complete = True

    #: ``[{"path": ..., "size": ...}]`` from the previous scan (paths contain dots, which
    #: MongoDB field names must not, hence a list rather than a dict).
    previous_file_names = me.ListField(me.DictField(), copy_on_restart=True)

    def perform(self) -> dict[str, int]:
        previous = {row["path"]: row["size"] for row in self.previous_file_names or []}
        current: dict[str, int] = {}
        started = failed = 0
        for entry, readable in DirmonEntry.stored(queries.eq("state", "enabled")):
            if not readable:
                failed += 1
                self.logger.error("dirmon entry %s cannot be read; skipped", entry.pk)
                continue
            try:
                started += self.rocketjob_scan(entry, previous, current)
            except Exception as exc:
                failed += 1
                self.logger.exception("dirmon entry %s failed", entry.name)
                entry.fail(exc)
        self.previous_file_names = [{"path": p, "size": s} for p, s in sorted(current.items())]
        return {"started": started, "failed_entries": failed, "pending_files": len(current)}

    def rocketjob_scan(
        self, entry: DirmonEntry, previous: dict[str, int], current: dict[str, int]
    ) -> int:
        """Start jobs for stable files of ``entry``; remember the size of the others."""
        started = 0
        for path in entry.matching_files():
            size = path.stat().st_size
            if previous.get(str(path)) != size:
                current[str(path)] = size  # new or still growing: check again next time
                continue
            job: Any = entry.start_job(path)
            started += 1
            self.logger.info(
                "file started a job",
                extra={"entry": entry.name, "file": str(path), "job_id": str(job.pk)},
            )
        return started
