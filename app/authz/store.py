"""The queries behind roles and permissions (flush, never commit).

A user's effective permissions are one indexed query: `user_roles` by its
primary key's leading `user_id`, joined to `role_permissions` by its primary
key's leading `role_id`.
"""

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Role, RolePermission, UserRole

_EFFECTIVE = (
    select(RolePermission.permission)
    .join(UserRole, UserRole.role_id == RolePermission.role_id)
    .where(UserRole.user_id == bindparam("user_id"))
    .distinct()
)


async def effective_permissions(
    session: AsyncSession, user_id: uuid.UUID
) -> frozenset[str]:
    """The union of the permissions of `user_id`'s roles (one query)."""
    return frozenset(await session.scalars(_EFFECTIVE, {"user_id": user_id}))


@dataclass(slots=True)
class Grants:
    """A user's roles (slugs) and the permissions they carry."""

    roles: set[str] = field(default_factory=set)
    permissions: set[str] = field(default_factory=set)


async def grants_of(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Grants]:
    """The roles and role permissions of every user in `user_ids` (one query)."""
    if not user_ids:
        return defaultdict(Grants)
    rows = await session.execute(grants_query(UserRole.user_id.in_(set(user_ids))))
    return collect_grants(rows.tuples())


def grants_query(
    which: ColumnElement[bool],
) -> Select[tuple[uuid.UUID, str, str]]:
    """(user id, role slug, permission or None) for the grants `which` selects
    (a condition on `UserRole.user_id`)."""
    return (
        select(UserRole.user_id, Role.slug, RolePermission.permission)
        .join(Role, Role.id == UserRole.role_id)
        .outerjoin(RolePermission, RolePermission.role_id == Role.id)
        .where(which)
    )


def collect_grants(
    rows: Iterable[tuple[uuid.UUID, str, str | None]],
) -> dict[uuid.UUID, Grants]:
    """Rows of `grants_query` by user (a role without permissions: None)."""
    grants: dict[uuid.UUID, Grants] = defaultdict(Grants)
    for user_id, slug, permission in rows:
        entry = grants[user_id]
        entry.roles.add(slug)
        if permission is not None:
            entry.permissions.add(permission)
    return grants


# --- roles -------------------------------------------------------------------


async def find_role(session: AsyncSession, slug: str) -> Role | None:
    role: Role | None = await session.scalar(select(Role).where(Role.slug == slug))
    return role


async def list_roles(session: AsyncSession) -> list[Role]:
    return list(await session.scalars(select(Role).order_by(Role.slug)))


async def permissions_of_roles(
    session: AsyncSession, role_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    found: dict[uuid.UUID, set[str]] = {role_id: set() for role_id in role_ids}
    if not role_ids:
        return found
    rows = await session.execute(
        select(RolePermission.role_id, RolePermission.permission).where(
            RolePermission.role_id.in_(set(role_ids))
        )
    )
    for role_id, permission in rows:
        found[role_id].add(permission)
    return found


async def set_role_permissions(
    session: AsyncSession, role: Role, before: set[str], after: set[str]
) -> None:
    removed = before - after
    if removed:
        await session.execute(
            delete(RolePermission).where(
                RolePermission.role_id == role.id,
                RolePermission.permission.in_(removed),
            )
        )
    session.add_all(
        RolePermission(role_id=role.id, permission=permission)
        for permission in sorted(after - before)
    )
    await session.flush()


async def used_permissions(session: AsyncSession) -> Sequence[str]:
    """Every distinct permission string any role holds."""
    return list(await session.scalars(select(RolePermission.permission).distinct()))


# --- grants ------------------------------------------------------------------


async def has_role(session: AsyncSession, user_id: uuid.UUID, role: Role) -> bool:
    found = await session.scalar(
        select(UserRole.user_id).where(
            UserRole.user_id == user_id, UserRole.role_id == role.id
        )
    )
    return found is not None


async def add_user_role(
    session: AsyncSession,
    user_id: uuid.UUID,
    role: Role,
    granted_by: uuid.UUID | None,
) -> None:
    session.add(UserRole(user_id=user_id, role_id=role.id, granted_by=granted_by))
    await session.flush()


async def remove_user_role(
    session: AsyncSession, user_id: uuid.UUID, role: Role
) -> None:
    await session.execute(
        delete(UserRole).where(UserRole.user_id == user_id, UserRole.role_id == role.id)
    )
    await session.flush()


async def holders_of(session: AsyncSession, role: Role) -> int:
    rows = await session.scalars(
        select(UserRole.user_id).where(UserRole.role_id == role.id)
    )
    return len(list(rows))
