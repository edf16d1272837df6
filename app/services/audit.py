"""The audit trail: security events written with the work they record, and listed.

`record_event` adds the event to the caller's session, so it commits or rolls
back with the change it describes. A failed login changes nothing and its
request's transaction is rolled back (the route answers 400), so
`record_event_apart` writes such events in a short transaction of their own.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute
from starlette.requests import Request

from app.core.config import Settings
from app.core.net import client_ip
from app.db.session import session_scope
from app.models import AuditEvent, RefreshToken, User
from app.models.audit_event import (
    EMAIL_MAX_LENGTH,
    IP_MAX_LENGTH,
    USER_AGENT_MAX_LENGTH,
    AuditEventKind,
)
from app.services.listing import PageParams, SortSpec, created_between, fetch_page

logger = logging.getLogger(__name__)

SORTABLE: dict[str, InstrumentedAttribute[Any]] = {"created_at": AuditEvent.created_at}
SORT_FIELDS = tuple(SORTABLE)
DEFAULT_SORT = "-created_at"
# Set on the request by the access-token check (app.auth.access_tokens).
REQUEST_USER_STATE = "user_id"

_USER_ID = cast(InstrumentedAttribute[uuid.UUID], User.id)
_USER_EMAIL = cast(InstrumentedAttribute[str], User.email)


def request_user_id(request: Request | None) -> uuid.UUID | None:
    """The user the request's access token authenticated, if any."""
    if request is None:
        return None
    user_id: uuid.UUID | None = getattr(request.state, REQUEST_USER_STATE, None)
    return user_id


def record_event(
    session: AsyncSession,
    kind: AuditEventKind,
    *,
    actor_id: uuid.UUID | None,
    target_id: uuid.UUID | None,
    target_email: str | None,
    request: Request | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to `session`'s transaction. `details` must hold no secrets."""
    event = AuditEvent(
        kind=kind.value,
        actor_user_id=actor_id,
        target_user_id=target_id,
        target_email=_printable(target_email, EMAIL_MAX_LENGTH),
        ip=_ip(request),
        user_agent=_user_agent(request),
        details=details,
    )
    session.add(event)
    return event


async def record_event_apart(
    sessionmaker: async_sessionmaker[AsyncSession],
    kind: AuditEventKind,
    *,
    target_email: str,
    request: Request | None,
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
                request=request,
            )
    except Exception:
        logger.exception("could not record the %s audit event", kind.value)


async def record_logout(
    session: AsyncSession,
    request: Request,
    *,
    user: User | None,
    refresh_token_hash: str | None,
) -> None:
    """Record a logout by `user` (access token) or by the refresh cookie's owner.

    A cookie that names no stored token logs nobody out: nothing is recorded.
    """
    if user is None and refresh_token_hash is not None:
        user = await session.scalar(
            select(User)
            .join(RefreshToken, RefreshToken.user_id == _USER_ID)
            .where(RefreshToken.token_hash == refresh_token_hash)
        )
    if user is not None:
        record_event(
            session,
            AuditEventKind.LOGOUT,
            actor_id=user.id,
            target_id=user.id,
            target_email=user.email,
            request=request,
        )


async def _user_id_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    email = _printable(email.strip(), EMAIL_MAX_LENGTH) or ""
    user_id: uuid.UUID | None = await session.scalar(
        select(_USER_ID).where(func.lower(_USER_EMAIL) == email.lower())
    )
    return user_id


def _ip(request: Request | None) -> str | None:
    if request is None:
        return None
    settings: Settings = request.app.state.settings
    return _printable(
        client_ip(request, tuple(settings.TRUSTED_PROXIES)), IP_MAX_LENGTH
    )


def _user_agent(request: Request | None) -> str | None:
    if request is None:
        return None
    return _printable(request.headers.get("user-agent"), USER_AGENT_MAX_LENGTH)


def _printable(text: str | None, max_length: int) -> str | None:
    """`text` without control characters (NUL included), cut to `max_length`."""
    if text is None:
        return None
    return "".join(ch for ch in text if ch.isprintable())[:max_length] or None


# --- listing -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilters:
    user_id: uuid.UUID | None = None
    kind: AuditEventKind | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = created_between(
            AuditEvent.created_at, self.created_after, self.created_before
        )
        if self.user_id is not None:
            conditions.append(
                or_(
                    AuditEvent.actor_user_id == self.user_id,
                    AuditEvent.target_user_id == self.user_id,
                )
            )
        if self.kind is not None:
            conditions.append(AuditEvent.kind == self.kind.value)
        return conditions


async def list_events(
    session: AsyncSession, filters: AuditFilters, page: PageParams, sort: SortSpec
) -> tuple[list[AuditEvent], int]:
    return await fetch_page(
        session,
        select(AuditEvent).where(*filters.conditions()),
        page=page,
        sort=sort,
        sortable=SORTABLE,
        tiebreaker=AuditEvent.id,
    )


# --- what an account update changed ------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """The audited fields of a user, taken before an update."""

    email: str
    hashed_password: str
    is_active: bool
    is_superuser: bool

    @classmethod
    def of(cls, user: User) -> "AccountSnapshot":
        return cls(
            email=user.email,
            hashed_password=user.hashed_password,
            is_active=user.is_active,
            is_superuser=user.is_superuser,
        )


def account_changes(
    before: AccountSnapshot, after: User
) -> list[tuple[AuditEventKind, dict[str, Any] | None]]:
    """The audit events an update from `before` to `after` amounts to.

    A new password is always a new hash (a fresh salt), even when unchanged.
    """
    changes: list[tuple[AuditEventKind, dict[str, Any] | None]] = []
    if after.email != before.email:
        details = {"old_email": before.email, "new_email": after.email}
        changes.append((AuditEventKind.EMAIL_CHANGED, details))
    if after.hashed_password != before.hashed_password:
        changes.append((AuditEventKind.PASSWORD_CHANGED, None))
    if before.is_active and not after.is_active:
        changes.append((AuditEventKind.USER_DEACTIVATED, None))
    if after.is_superuser != before.is_superuser:
        kind = (
            AuditEventKind.SUPERUSER_GRANTED
            if after.is_superuser
            else AuditEventKind.SUPERUSER_REVOKED
        )
        changes.append((kind, None))
    return changes
