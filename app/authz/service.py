"""Roles and grants: create, change and delete roles, grant and revoke them.

Services flush, never commit: the request (or the command) owns the
transaction. Every change is an audit event naming the actor, the role, the
target user for grants, and the permissions before and after. The rules:

- No escalation: an actor cannot create, change or delete a role carrying a
  permission they lack, nor grant or revoke one (superusers hold them all).
- Nobody but a superuser grants roles to themselves.
- System roles (`admin`) cannot be renamed, changed or deleted.

`roles` holds the roles, `grants` the grants and what users hold, `audit` their
events; this module is the one place callers import them from.
"""

from app.authz.grants import (
    UserAccess,
    access_of,
    grant_role,
    revoke_role,
    set_grant,
)
from app.authz.roles import (
    RoleChanges,
    RoleSpec,
    RoleView,
    create_role,
    defined,
    delete_role,
    get_role,
    list_roles,
    update_role,
)

__all__ = [
    "RoleChanges",
    "RoleSpec",
    "RoleView",
    "UserAccess",
    "access_of",
    "create_role",
    "defined",
    "delete_role",
    "get_role",
    "grant_role",
    "list_roles",
    "revoke_role",
    "set_grant",
    "update_role",
]
