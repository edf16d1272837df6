"""Grants: who holds which role, granting and revoking, and what users hold
(roles and effective permissions) for reads. No escalation: an actor grants or
revokes only roles whose permissions they hold, and nobody but a superuser
grants roles to themselves."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.client import ClientInfo
from app.authz import store
from app.authz.access import Actor
from app.authz.audit import record_grant_event
from app.authz.errors import PermissionDenied
from app.authz.permissions import ALL_PERMISSIONS
from app.authz.roles import get_role
from app.models import User
from app.models.audit_event import AuditEventKind


async def set_grant(
    session: AsyncSession,
    actor: Actor,
    target: User,
    slug: str,
    client: ClientInfo | None,
    *,
    held: bool,
) -> bool:
    """Grant the role to `target` (`held`) or revoke it; False if nothing
    changed (they held it already, or did not hold it): both are idempotent."""
    current = await get_role(session, slug)
    role, permissions = current.role, frozenset(current.permissions)
    if held and target.id == actor.user_id and not actor.is_superuser:
        raise PermissionDenied()
    actor.ensure_holds(permissions)
    if await store.has_role(session, target.id, role) == held:
        return False
    before = await store.effective_permissions(session, target.id)
    if held:
        await store.add_user_role(session, target.id, role, actor.user_id)
        after = before | permissions
    else:
        await store.remove_user_role(session, target.id, role)
        after = await store.effective_permissions(session, target.id)
    record_grant_event(
        session,
        AuditEventKind.ROLE_GRANTED if held else AuditEventKind.ROLE_REVOKED,
        actor,
        target,
        role,
        client,
        before=before,
        after=after,
    )
    return True


# The two directions, as routes and commands call them: (session, actor, target,
# slug, client) -> whether anything changed.
grant_role = partial(set_grant, held=True)
revoke_role = partial(set_grant, held=False)


@dataclass(frozen=True, slots=True)
class UserAccess:
    """A user's role slugs and effective permissions, both sorted."""

    roles: list[str]
    permissions: list[str]


async def access_of(
    session: AsyncSession, users: Iterable[User]
) -> dict[uuid.UUID, UserAccess]:
    """Roles and effective permissions of each user (one query for them all)."""
    users = list(users)
    grants = await store.grants_of(session, [user.id for user in users])
    return {user.id: access_from(user, grants[user.id]) for user in users}


def access_from(user: User, grants: store.Grants) -> UserAccess:
    """What `user` holds: their roles', or every permission for a superuser."""
    return UserAccess(
        roles=sorted(grants.roles),
        permissions=sorted(
            ALL_PERMISSIONS if user.is_superuser else grants.permissions
        ),
    )
