"""The start-up check: every permission the database names is defined in code.

A permission removed from the code while a role still carries it would be
silently meaningless (or, worse, mean something else once a new permission
reuses the name), so the app refuses to start and names it instead.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import store
from app.authz.permissions import undefined


class UndefinedPermissionsInDatabase(RuntimeError):
    def __init__(self, permissions: list[str]) -> None:
        super().__init__(
            "the database's roles carry permissions this code does not define: "
            + ", ".join(permissions)
            + " (remove them from role_permissions, or define them in "
            "app/authz/permissions.py)"
        )
        self.permissions = permissions


async def check_permissions(session: AsyncSession) -> None:
    unknown = undefined(await store.used_permissions(session))
    if unknown:
        raise UndefinedPermissionsInDatabase(unknown)
