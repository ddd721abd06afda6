"""Ruby Mission Control's roles as Django groups.

Ruby's roles are hierarchical: each role also holds every role listed after it
(admin > editor > operator > manager > dirmon > user > view). Here a role is a Django group holding
the union of its own permissions and those of the roles below it, so an operator can also
manage jobs, as in Ruby. ``manage.py mission_control_groups`` creates or refreshes them.
"""

from __future__ import annotations

from typing import Any

VIEW = ("view_job", "view_server", "view_dirmonentry")
ROLE_ORDER = ("admin", "editor", "operator", "manager", "dirmon", "user", "view")
OWN_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "admin": ("destroy_job", "destroy_dirmonentry"),
    "editor": ("edit_slice",),
    "operator": ("operate_server",),
    "manager": ("manage_job",),
    "dirmon": ("manage_dirmonentry",),
    #: Act (retry, pause, abort, edit, destroy...) only on jobs one created: see actions.py.
    "user": ("act_on_own_jobs",),
    "view": VIEW,
}
GROUP_PREFIX = "Mission Control "


def role_permissions(role: str) -> list[str]:
    """Codenames a role holds: its own and those of every role after it."""
    if role not in OWN_PERMISSIONS:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLE_ORDER)}")
    start = ROLE_ORDER.index(role)
    codenames: list[str] = []
    for name in ROLE_ORDER[start:]:
        codenames.extend(OWN_PERMISSIONS[name])
    return codenames


def ensure_role_groups() -> dict[str, Any]:
    """Create (or refresh) one group per role; returns role name -> Group."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    create_permissions(apps.get_app_config("mission_control"), verbosity=0)
    groups: dict[str, Any] = {}
    for role in ROLE_ORDER:
        group, _ = Group.objects.get_or_create(name=GROUP_PREFIX + role)
        perms = Permission.objects.filter(
            content_type__app_label="mission_control", codename__in=role_permissions(role)
        )
        group.permissions.set(perms)
        groups[role] = group
    return groups
