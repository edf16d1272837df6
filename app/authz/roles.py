"""Roles: create, change and delete them, with the rules of
`app.authz.service` (no escalation; system roles are fixed)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.client import ClientInfo
from app.authz import store
from app.authz.access import Actor
from app.authz.audit import record_role_event
from app.authz.errors import (
    RoleAlreadyExists,
    RoleIsSystem,
    RoleNotFound,
    UnknownPermissions,
)
from app.authz.permissions import undefined
from app.db.base import utcnow
from app.models import Role
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
    record_role_event(
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
    record_role_event(
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
    record_role_event(
        session,
        AuditEventKind.ROLE_DELETED,
        actor,
        role,
        client,
        before=set(current.permissions),
        after=None,
        extra={"holders": holders},
    )


async def _role_or_404(session: AsyncSession, slug: str) -> Role:
    role = await store.find_role(session, slug)
    if role is None:
        raise RoleNotFound()
    return role
