"""Roles and permissions: the roles (`roles:read`, `roles:manage`), the
permissions the code defines, and granting roles to users (`roles:assign`).

Every change goes through `app.authz.service`, which refuses escalation (a role
or grant carrying a permission the caller lacks, a grant to oneself) and
records an audit event.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import (
    PERMISSION_REQUIRED,
    ActorDep,
    CanAssignRoles,
    CanManageRoles,
    CanReadRoles,
    ClientInfoDep,
    SessionDep,
)
from app.api.responses import raises
from app.api.routes.users import TargetUser
from app.auth.client import ClientInfo
from app.authz import service as roles_service
from app.authz.access import Actor
from app.authz.errors import RoleAlreadyExists, RoleIsSystem, RoleNotFound
from app.authz.permissions import PERMISSIONS
from app.authz.service import RoleChanges, RoleSpec, RoleView
from app.models import User
from app.schemas.role import (
    ROLE_SLUG_PATTERN,
    PermissionRead,
    RoleCreate,
    RoleRead,
    RoleUpdate,
)
from app.services.user_errors import UserNotFound

router = APIRouter(tags=["roles"])

SlugPath = Annotated[str, Path(max_length=64, pattern=ROLE_SLUG_PATTERN)]


def role_read(view: RoleView) -> RoleRead:
    role = view.role
    return RoleRead(
        id=role.id,
        slug=role.slug,
        name=role.name,
        description=role.description,
        is_system=role.is_system,
        permissions=view.permissions,
        created_at=role.created_at,
        updated_at=role.updated_at,
    )


def defined_permissions(permissions: list[str]) -> list[str]:
    """`permissions`, or a 422 naming each one the code does not define."""
    errors = [
        {
            "type": "enum",
            "loc": ("body", "permissions", index),
            "msg": f"Unknown permission {permission!r}: see GET /permissions",
            "input": permission,
        }
        for index, permission in enumerate(permissions)
        if permission not in PERMISSIONS
    ]
    if errors:
        raise RequestValidationError(errors)
    return permissions


@router.get(
    "/permissions",
    response_model=list[PermissionRead],
    responses=raises(*PERMISSION_REQUIRED),
)
async def list_permissions(_: CanReadRoles) -> list[PermissionRead]:
    """Every permission the code defines, sorted, with what it allows."""
    return [
        PermissionRead(name=name, description=member.description)
        for name, member in PERMISSIONS.items()
    ]


@router.get(
    "/roles", response_model=list[RoleRead], responses=raises(*PERMISSION_REQUIRED)
)
async def list_roles(session: SessionDep, _: CanReadRoles) -> list[RoleRead]:
    """Every role with its permissions, by slug."""
    return [role_read(view) for view in await roles_service.list_roles(session)]


@router.post(
    "/roles",
    response_model=RoleRead,
    status_code=status.HTTP_201_CREATED,
    responses=raises(*PERMISSION_REQUIRED, RoleAlreadyExists),
)
async def create_role(
    session: SessionDep,
    _: CanManageRoles,
    actor: ActorDep,
    client: ClientInfoDep,
    data: RoleCreate,
) -> RoleRead:
    """Create a role. You must hold every permission you give it (else 403)."""
    spec = RoleSpec(
        slug=data.slug,
        name=data.name,
        description=data.description,
        permissions=defined_permissions(data.permissions),
    )
    return role_read(await roles_service.create_role(session, actor, spec, client))


@router.patch(
    "/roles/{slug}",
    response_model=RoleRead,
    responses=raises(*PERMISSION_REQUIRED, RoleNotFound, RoleIsSystem),
)
async def update_role(
    session: SessionDep,
    _: CanManageRoles,
    actor: ActorDep,
    client: ClientInfoDep,
    slug: SlugPath,
    changes: RoleUpdate,
) -> RoleRead:
    """Rename, describe or change the permissions of a role (not a system role).

    You must hold every permission the role has, before and after (else 403).
    Its holders have the new permissions from their next request.
    """
    permissions = changes.permissions
    role_changes = RoleChanges(
        name=changes.name,
        description=changes.description,
        permissions=None if permissions is None else defined_permissions(permissions),
        fields=frozenset(changes.model_fields_set),
    )
    view, _changed = await roles_service.update_role(
        session, actor, slug, role_changes, client
    )
    return role_read(view)


@router.delete(
    "/roles/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(*PERMISSION_REQUIRED, RoleNotFound, RoleIsSystem),
)
async def delete_role(
    session: SessionDep,
    _: CanManageRoles,
    actor: ActorDep,
    client: ClientInfoDep,
    slug: SlugPath,
) -> None:
    """Delete a role (not a system role); its holders lose it at once."""
    await roles_service.delete_role(session, actor, slug, client)


@dataclass(frozen=True, slots=True)
class GrantRequest:
    """What granting and revoking a role need: the caller (holding
    `roles:assign`), the user, the role."""

    session: AsyncSession
    actor: Actor
    client: ClientInfo
    target: User
    slug: str


async def get_grant_request(
    session: SessionDep,
    _: CanAssignRoles,
    actor: ActorDep,
    client: ClientInfoDep,
    target: TargetUser,
    slug: SlugPath,
) -> GrantRequest:
    return GrantRequest(session, actor, client, target, slug)


GrantRequestDep = Annotated[GrantRequest, Depends(get_grant_request)]
GRANT_PATH = "/users/{user_id}/roles/{slug}"
GRANT_RESPONSES = raises(*PERMISSION_REQUIRED, UserNotFound, RoleNotFound)


@router.put(
    GRANT_PATH, status_code=status.HTTP_204_NO_CONTENT, responses=GRANT_RESPONSES
)
async def grant_role(grant: GrantRequestDep) -> None:
    """Grant a role to a user; granting it again changes nothing.

    You must hold every permission the role carries, and only a superuser may
    grant roles to themselves (else 403).
    """
    await roles_service.grant_role(
        grant.session, grant.actor, grant.target, grant.slug, grant.client
    )


@router.delete(
    GRANT_PATH, status_code=status.HTTP_204_NO_CONTENT, responses=GRANT_RESPONSES
)
async def revoke_role(grant: GrantRequestDep) -> None:
    """Revoke a role from a user; revoking one they do not hold changes nothing.

    You must hold every permission the role carries (else 403).
    """
    await roles_service.revoke_role(
        grant.session, grant.actor, grant.target, grant.slug, grant.client
    )
