"""The audit events of roles and grants: the actor, the role, the target user
for grants, and the permissions before and after."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_event, record_user_event
from app.auth.client import ClientInfo
from app.authz.access import Actor
from app.models import Role, User
from app.models.audit_event import AuditEventKind


def record_role_event(
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


def record_grant_event(
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
