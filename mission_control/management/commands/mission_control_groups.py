"""``manage.py mission_control_groups``: create the role groups (view ... admin)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mission_control.roles import ensure_role_groups, role_permissions


class Command(BaseCommand):
    help = "Create or refresh the Mission Control role groups (Ruby's roles as Django groups)."

    def handle(self, *args: Any, **options: Any) -> None:
        for role, group in ensure_role_groups().items():
            perms = ", ".join(role_permissions(role))
            self.stdout.write(f"{group.name}: {perms}")
