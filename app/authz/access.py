"""What a user may do: effective permissions, loaded at most once per request.

Nothing is remembered across requests, so a grant, a revocation or a change to
a role's permissions applies to the user's very next request, whatever access
token they hold. Superusers hold every permission and cost no query; others
cost one indexed query, and only on a request that asks.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import store
from app.authz.errors import PermissionDenied
from app.authz.permissions import ALL_PERMISSIONS
from app.models import User


class Access:
    """A user's permissions, loaded on first use by this request only."""

    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self._permissions: frozenset[str] | None = (
            ALL_PERMISSIONS if user.is_superuser else None
        )

    async def permissions(self) -> frozenset[str]:
        if self._permissions is None:
            self._permissions = await store.effective_permissions(
                self.session, self.user.id
            )
        return self._permissions

    async def has(self, permission: str) -> bool:
        return permission in await self.permissions()

    async def require(self, permission: str) -> None:
        if not await self.has(permission):
            raise PermissionDenied()

    async def actor(self) -> "Actor":
        return Actor(
            user_id=self.user.id,
            is_superuser=self.user.is_superuser,
            permissions=await self.permissions(),
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is changing roles or accounts, for the no-escalation rules and audit.

    The operator's commands act as the system: every permission, no user.
    """

    user_id: uuid.UUID | None
    is_superuser: bool
    permissions: frozenset[str]

    @classmethod
    def system(cls) -> "Actor":
        return cls(user_id=None, is_superuser=True, permissions=ALL_PERMISSIONS)

    def ensure_holds(self, permissions: set[str] | frozenset[str]) -> None:
        """No escalation: refuse to hand out a permission the actor lacks."""
        if not self.is_superuser and not permissions <= self.permissions:
            raise PermissionDenied()
