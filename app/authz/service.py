"""Roles and grants: create, change and delete roles, grant and revoke them.

Services flush, never commit: the request (or the command) owns the
transaction. Every change is an audit event naming the actor, the role, the
target user for grants, and the permissions before and after. The rules:

- No escalation: an actor cannot create, change or delete a role carrying a
  permission they lack, nor grant or revoke one (superusers hold them all).
- Nobody but a superuser grants roles to themselves.
- System roles (`admin`) cannot be renamed, changed or deleted.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_event, record_user_event
from app.auth.client import ClientInfo
from app.authz import store
from app.authz.access import Actor
from app.authz.errors import (
    PermissionDenied,
    RoleAlreadyExists,
    RoleIsSystem,
    RoleNotFound,
    UnknownPermissions,
)
from app.authz.permissions import ALL_PERMISSIONS, undefined
from app.db.base import utcnow
from app.models import Role, User
from app.models.audit_event import AuditEventKind


@dataclass(frozen=True, slots=True)
class RoleView:
    """A role and its permissions (sorted)."""

    role: Role
    permissions: list[str]


@dataclass(frozen=True, slots=True)
class RoleSpec:
    slug: str
    name: str
    description: str | None
    permissions: list[str]


@dataclass(frozen=True, slots=True)
class RoleChanges:
    """A partial update: None leaves a field unchanged (description: see `fields`)."""

    name: str | None = None
    description: str | None = None
    permissions: list[str] | None = None
    fields: frozenset[str] = frozenset()


def defined(permissions: Iterable[str]) -> set[str]:
    wanted = set(permissions)
    unknown = undefined(wanted)
    if unknown:
        raise UnknownPermissions(unknown)
    return wanted


async def list_roles(session: AsyncSession) -> list[RoleView]:
    roles = await store.list_roles(session)
    permissions = await store.permissions_of_roles(session, [r.id for r in roles])
    return [RoleView(role, sorted(permissions[role.id])) for role in roles]


async def get_role(session: AsyncSession, slug: str) -> RoleView:
    role = await _role_or_404(session, slug)
    permissions = await store.permissions_of_roles(session, [role.id])
    return RoleView(role, sorted(permissions[role.id]))


async def create_role(
    session: AsyncSession, actor: Actor, spec: RoleSpec, client: ClientInfo | None
) -> RoleView:
    permissions = defined(spec.permissions)
    actor.ensure_holds(permissions)
    if await store.find_role(session, spec.slug) is not None:
        raise RoleAlreadyExists()
    role = Role(slug=spec.slug, name=spec.name, description=spec.description)
    session.add(role)
    await session.flush()
    await store.set_role_permissions(session, role, set(), permissions)
    _record_role_event(
        session,
        AuditEventKind.ROLE_CREATED,
        actor,
        role,
        client,
        before=None,
        after=permissions,
        extra={"name": role.name},
    )
    return RoleView(role, sorted(permissions))


async def update_role(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    changes: RoleChanges,
    client: ClientInfo | None,
) -> tuple[RoleView, bool]:
    """The role after `changes`, and whether anything changed."""
    current = await get_role(session, slug)
    role, before = current.role, set(current.permissions)
    after = before if changes.permissions is None else defined(changes.permissions)
    actor.ensure_holds(before | after)
    if role.is_system:
        raise RoleIsSystem()
    changed: dict[str, Any] = {}
    if changes.name is not None and changes.name != role.name:
        changed["name"] = {"before": role.name, "after": changes.name}
        role.name = changes.name
    if "description" in changes.fields and changes.description != role.description:
        changed["description"] = {
            "before": role.description,
            "after": changes.description,
        }
        role.description = changes.description
    if not changed and after == before:
        return current, False
    if after != before:
        await store.set_role_permissions(session, role, before, after)
        role.updated_at = utcnow()  # the role changed, if only its permissions
    await session.flush()
    await session.refresh(role)
    _record_role_event(
        session,
        AuditEventKind.ROLE_UPDATED,
        actor,
        role,
        client,
        before=before,
        after=after,
        extra=changed,
    )
    return RoleView(role, sorted(after)), True


async def delete_role(
    session: AsyncSession, actor: Actor, slug: str, client: ClientInfo | None
) -> None:
    """Delete the role; its users lose it (ON DELETE CASCADE)."""
    current = await get_role(session, slug)
    role = current.role
    actor.ensure_holds(set(current.permissions))
    if role.is_system:
        raise RoleIsSystem()
    holders = await store.holders_of(session, role)
    await session.delete(role)
    await session.flush()
    _record_role_event(
        session,
        AuditEventKind.ROLE_DELETED,
        actor,
        role,
        client,
        before=set(current.permissions),
        after=None,
        extra={"holders": holders},
    )


# --- grants ------------------------------------------------------------------


async def grant_role(
    session: AsyncSession,
    actor: Actor,
    target: User,
    slug: str,
    client: ClientInfo | None,
) -> bool:
    """Grant the role to `target`; False if they held it already (idempotent)."""
    role, role_permissions = await _grantable(session, actor, target, slug)
    if await store.has_role(session, target.id, role):
        return False
    before = await store.effective_permissions(session, target.id)
    await store.add_user_role(session, target.id, role, actor.user_id)
    _record_grant_event(
        session,
        AuditEventKind.ROLE_GRANTED,
        actor,
        target,
        role,
        client,
        before=before,
        after=before | role_permissions,
    )
    return True


async def revoke_role(
    session: AsyncSession,
    actor: Actor,
    target: User,
    slug: str,
    client: ClientInfo | None,
) -> bool:
    """Revoke the role from `target`; False if they did not hold it."""
    role, _ = await _grantable(session, actor, target, slug, revoking=True)
    if not await store.has_role(session, target.id, role):
        return False
    before = await store.effective_permissions(session, target.id)
    await store.remove_user_role(session, target.id, role)
    after = await store.effective_permissions(session, target.id)
    _record_grant_event(
        session,
        AuditEventKind.ROLE_REVOKED,
        actor,
        target,
        role,
        client,
        before=before,
        after=after,
    )
    return True


async def _grantable(
    session: AsyncSession,
    actor: Actor,
    target: User,
    slug: str,
    *,
    revoking: bool = False,
) -> tuple[Role, frozenset[str]]:
    current = await get_role(session, slug)
    permissions = frozenset(current.permissions)
    if not revoking and target.id == actor.user_id and not actor.is_superuser:
        raise PermissionDenied()
    actor.ensure_holds(permissions)
    return current.role, permissions


async def _role_or_404(session: AsyncSession, slug: str) -> Role:
    role = await store.find_role(session, slug)
    if role is None:
        raise RoleNotFound()
    return role


# --- what users hold, for reads ---------------------------------------------


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


# --- audit -------------------------------------------------------------------


def _record_role_event(
    session: AsyncSession,
    kind: AuditEventKind,
    actor: Actor,
    role: Role,
    client: ClientInfo | None,
    *,
    before: set[str] | None,
    after: set[str] | None,
    extra: dict[str, Any],
) -> None:
    details: dict[str, Any] = {
        "role": role.slug,
        "permissions_before": None if before is None else sorted(before),
        "permissions_after": None if after is None else sorted(after),
        **extra,
    }
    record_event(
        session,
        kind,
        actor_id=actor.user_id,
        target_id=None,
        target_email=None,
        client=client,
        details=details,
    )


def _record_grant_event(
    session: AsyncSession,
    kind: AuditEventKind,
    actor: Actor,
    target: User,
    role: Role,
    client: ClientInfo | None,
    *,
    before: frozenset[str],
    after: frozenset[str],
) -> None:
    record_user_event(
        session,
        kind,
        target,
        client,
        actor_id=actor.user_id,
        details={
            "role": role.slug,
            "permissions_before": sorted(before),
            "permissions_after": sorted(after),
        },
    )
