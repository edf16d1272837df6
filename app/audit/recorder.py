"""Recording the audit trail: security events written with the work they record.

`record_event` adds the event to the caller's session, so it commits or rolls
back with the change it describes. A failed login changes nothing and its
request's transaction is rolled back (the route answers 400), so
`record_event_apart` writes such events in a short transaction of their own.
"""

import logging
import uuid
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from app.auth.client import ClientInfo, printable
from app.db.lengths import EMAIL_MAX_LENGTH
from app.db.session import session_scope
from app.models import AuditEvent, User
from app.models.audit_event import AuditEventKind

logger = logging.getLogger(__name__)

_USER_ID = cast(InstrumentedAttribute[uuid.UUID], User.id)
_USER_EMAIL = cast(InstrumentedAttribute[str], User.email)


def record_event(
    session: AsyncSession,
    kind: AuditEventKind,
    *,
    actor_id: uuid.UUID | None,
    target_id: uuid.UUID | None,
    target_email: str | None,
    client: ClientInfo | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to `session`'s transaction. `details` must hold no secrets."""
    event = AuditEvent(
        kind=kind.value,
        actor_user_id=actor_id,
        target_user_id=target_id,
        target_email=printable(target_email, EMAIL_MAX_LENGTH),
        ip=client.ip if client else None,
        user_agent=client.user_agent if client else None,
        details=details,
    )
    session.add(event)
    return event


def record_user_event(
    session: AsyncSession,
    kind: AuditEventKind,
    user: User,
    client: ClientInfo | None,
    *,
    actor_id: uuid.UUID | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """`kind`, done to `user` by `actor_id` (None: the system or nobody known)."""
    return record_event(
        session,
        kind,
        actor_id=actor_id,
        target_id=user.id,
        target_email=user.email,
        client=client,
        details=details,
    )


async def record_event_apart(
    sessionmaker: async_sessionmaker[AsyncSession],
    kind: AuditEventKind,
    *,
    target_email: str,
    client: ClientInfo | None,
) -> None:
    """Record an event about the account `target_email` in its own transaction.

    For events whose request rolls back. A failure is logged, not raised: the
    response the client gets must not depend on the audit write.
    """
    try:
        async with session_scope(sessionmaker) as session:
            target_id = await _user_id_by_email(session, target_email)
            record_event(
                session,
                kind,
                actor_id=None,
                target_id=target_id,
                target_email=target_email.strip(),
                client=client,
            )
    except Exception:
        logger.exception("could not record the %s audit event", kind.value)


async def _user_id_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    email = printable(email.strip(), EMAIL_MAX_LENGTH) or ""
    user_id: uuid.UUID | None = await session.scalar(
        select(_USER_ID).where(func.lower(_USER_EMAIL) == email.lower())
    )
    return user_id
