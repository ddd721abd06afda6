"""Unmanaged models: they exist only so the Django admin lists Mission Control and so its
permissions live in Django's auth system (users, groups, the admin's permission widgets).

No table is ever created or queried for them; the data lives in MongoDB. The permissions map
Ruby Rocket Job Mission Control's roles (see :mod:`mission_control.roles`):

* ``view_*``: the read-only *view* role.
* ``mission_control.manage_job``: *manager* - run now, pause, resume, retry, fail, abort, edit.
* ``mission_control.destroy_job``: *admin* - destroy jobs.
* ``mission_control.act_on_own_jobs``: *user* - every job action and edit, and the record
  repair of batch jobs, but only on jobs whose ``created_by`` is the signed-in user's username.
* ``mission_control.edit_slice``: *editor* - edit or delete records of failed slices.
* ``mission_control.operate_server``: *operator* - pause, resume, stop, kill, thread dump,
  destroy servers.
* ``mission_control.manage_dirmonentry`` / ``destroy_dirmonentry``: *dirmon* / *admin*.
"""

from __future__ import annotations

from django.db import models


class Job(models.Model):
    """Jobs in ``rocketjob_jobs`` (permissions and the admin index entry only)."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        permissions = [
            ("manage_job", "Can run now, pause, resume, retry, fail, abort and edit jobs"),
            ("destroy_job", "Can destroy jobs"),
            ("edit_slice", "Can edit and delete records of failed batch slices"),
            ("act_on_own_jobs", "Can act on and edit only the jobs they created"),
        ]
        verbose_name = "job"
        verbose_name_plural = "jobs"


class Server(models.Model):
    """Worker servers in ``rocketjob_servers`` and their active workers."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        permissions = [
            ("operate_server", "Can pause, resume, stop, kill, thread dump and destroy servers"),
        ]
        verbose_name = "server"
        verbose_name_plural = "servers"


class DirmonEntry(models.Model):
    """Directory monitor entries in ``rocketjob_dirmon_entries``."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        permissions = [
            ("manage_dirmonentry", "Can create, edit, enable, disable and copy dirmon entries"),
            ("destroy_dirmonentry", "Can destroy dirmon entries"),
        ]
        verbose_name = "dirmon entry"
        verbose_name_plural = "dirmon entries"
