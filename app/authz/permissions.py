"""Every permission the code defines, in one registry.

Roles are data, permissions are code: a role may only name permissions listed
here (`POST /roles` refuses others with a 422), and the app refuses to start if
the database holds one that is not (see `app.authz.startup`). A resource added
later declares its own `PermissionSet` next to it and is listed in
`PERMISSION_SETS`.
"""

from collections.abc import Iterable

from app.core.permissions import PermissionSet
from app.models.item import ItemPermission


class UserPermission(PermissionSet):
    READ = "users:read", "See every account (the admin user list and reads)."
    MANAGE = "users:manage", "Create, change and delete accounts."


class RolesPermission(PermissionSet):
    READ = "roles:read", "See the roles and the permissions they can carry."
    MANAGE = "roles:manage", "Create, change and delete roles."
    ASSIGN = "roles:assign", "Grant roles to users and revoke them."


class OperationsPermission(PermissionSet):
    AUDIT_READ = "audit:read", "Read the audit trail."
    STATS_READ = "stats:read", "Read the instance statistics."
    METRICS_READ = "metrics:read", "Read the database pool metrics."


PERMISSION_SETS: tuple[type[PermissionSet], ...] = (
    UserPermission,
    RolesPermission,
    ItemPermission,
    OperationsPermission,
)

# value -> member, sorted by value.
PERMISSIONS: dict[str, PermissionSet] = dict(
    sorted(
        (member.value, member)
        for permission_set in PERMISSION_SETS
        for member in permission_set
    )
)
ALL_PERMISSIONS: frozenset[str] = frozenset(PERMISSIONS)


def is_defined(permission: str) -> bool:
    return permission in PERMISSIONS


def undefined(permissions: Iterable[str]) -> list[str]:
    """The permissions in `permissions` the code does not define, sorted."""
    return sorted({p for p in permissions if p not in PERMISSIONS})


def describe(permission: str) -> str:
    return PERMISSIONS[permission].description
