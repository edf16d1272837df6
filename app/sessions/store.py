"""Refresh tokens in the database: issue, rotate, revoke, read, purge.

A refresh token is 256 random bits; the database keeps only its SHA-256 hash.
Every use rotates it: the presented token is revoked and points at its
successor. The tokens rotated from one login form a family: a session.

Presenting a rotated token again means two parties hold it, so the whole family
is revoked -- except within REFRESH_REUSE_GRACE_SECONDS of the rotation while
its successor is still the family's live token: that is two tabs refreshing at
once, and the late one gets an access token but no new refresh token (its
browser keeps the cookie the winner set). Rotation locks the presented row
(SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions are serialised by
BEGIN IMMEDIATE), so two concurrent refreshes never both rotate.

Writes are flushed, so the caller's next statements see them; nothing here
commits: the caller's transaction does.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.client import ClientInfo
from app.core.config import Settings
from app.models import RefreshToken, User
from app.sessions.errors import RefreshTokenInvalid, SessionNotFound

TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class Rotation:
    user: User
    family_id: uuid.UUID
    # The rotated-in token for the cookie; None when the grace window answered.
    token: str | None


def utc_now() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- issuing and rotating -----------------------------------------------------


async def start_family(
    session: AsyncSession, user: User, client: ClientInfo, settings: Settings
) -> tuple[uuid.UUID, str]:
    """A new family (session id) and its first token. Also drops the user's
    expired tokens: a cheap, indexed clean-up that keeps active users' rows few."""
    now = utc_now()
    await purge_expired(session, now, user_id=user.id)
    family_id = uuid.uuid4()
    token, _ = _add_token(
        session,
        user=user,
        family_id=family_id,
        authenticated_at=now,
        client=client,
        settings=settings,
        now=now,
    )
    await session.flush()
    return family_id, token


async def rotate(
    session: AsyncSession, token: str, client: ClientInfo, settings: Settings
) -> Rotation:
    """Rotate `token`; RefreshTokenInvalid if it cannot be used (after revoking
    its family when it was reused)."""
    now = utc_now()
    presented = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_token(token))
        .with_for_update()
    )
    if presented is None or presented.expires_at <= now:
        raise RefreshTokenInvalid()
    user = await session.get(User, presented.user_id)
    if (
        user is None
        or not user.is_active
        or user.token_version != presented.token_version
    ):
        raise RefreshTokenInvalid()
    if presented.revoked_at is None:
        successor = _replace(session, presented, user, client, settings, now)
        await session.flush()
        return Rotation(user=user, family_id=presented.family_id, token=successor)
    if presented.replaced_by_id is None:
        raise RefreshTokenInvalid()  # revoked outright: logout, password change...
    if await _is_grace_reuse(session, presented, settings, now):
        return Rotation(user=user, family_id=presented.family_id, token=None)
    await revoke_family(session, presented.family_id, now)
    raise RefreshTokenInvalid()


def _replace(
    session: AsyncSession,
    presented: RefreshToken,
    user: User,
    client: ClientInfo,
    settings: Settings,
    now: datetime,
) -> str:
    token, successor = _add_token(
        session,
        user=user,
        family_id=presented.family_id,
        authenticated_at=presented.authenticated_at,
        client=client,
        settings=settings,
        now=now,
    )
    presented.revoked_at = now
    presented.replaced_by_id = successor.id
    return token


async def _is_grace_reuse(
    session: AsyncSession, presented: RefreshToken, settings: Settings, now: datetime
) -> bool:
    """Rotated moments ago, and its successor is still the family's live token."""
    assert presented.revoked_at is not None
    grace = timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS)
    if now - presented.revoked_at > grace:
        return False
    successor = await session.get(RefreshToken, presented.replaced_by_id)
    return (
        successor is not None
        and successor.revoked_at is None
        and successor.expires_at > now
    )


def _add_token(
    session: AsyncSession,
    *,
    user: User,
    family_id: uuid.UUID,
    authenticated_at: datetime,
    client: ClientInfo,
    settings: Settings,
    now: datetime,
) -> tuple[str, RefreshToken]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = RefreshToken(
        id=uuid.uuid4(),
        user_id=user.id,
        family_id=family_id,
        token_hash=hash_token(token),
        token_version=user.token_version,
        authenticated_at=authenticated_at,
        # The same clock as expiry and revocation (PostgreSQL's now() is the
        # transaction's start, not the moment of issue).
        created_at=now,
        expires_at=now + timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS),
        user_agent=client.user_agent,
        ip=client.ip,
    )
    session.add(row)
    return token, row


# --- revoking -----------------------------------------------------------------


async def revoke_family(
    session: AsyncSession, family_id: uuid.UUID, now: datetime | None = None
) -> int:
    return await _revoke(session, RefreshToken.family_id == family_id, now=now)


async def family_of_token(session: AsyncSession, token: str) -> RefreshToken | None:
    """The stored token, whatever its state (logout by cookie)."""
    row: RefreshToken | None = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_token(token))
    )
    return row


async def revoke_user_session(
    session: AsyncSession, user_id: uuid.UUID, family_id: uuid.UUID
) -> None:
    """End one of the user's live sessions; SessionNotFound if there is none."""
    revoked = await _revoke(
        session,
        RefreshToken.user_id == user_id,
        RefreshToken.family_id == family_id,
    )
    if not revoked:
        raise SessionNotFound()


async def revoke_user_sessions(
    session: AsyncSession, user_id: uuid.UUID, *, keep: uuid.UUID | None = None
) -> int:
    """End every session of the user, except `keep` if given."""
    conditions: list[Any] = [RefreshToken.user_id == user_id]
    if keep is not None:
        conditions.append(RefreshToken.family_id != keep)
    return await _revoke(session, *conditions)


async def _revoke(
    session: AsyncSession, *conditions: Any, now: datetime | None = None
) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(*conditions, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or utc_now())
        .execution_options(synchronize_session=False)
    )
    return _affected(result)


def _affected(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount


# --- reading and purging ----------------------------------------------------------


def live_sessions(user: User, now: datetime) -> Select[tuple[RefreshToken]]:
    """The live token of each of the user's sessions (one row per family)."""
    return select(RefreshToken).where(
        RefreshToken.user_id == user.id,
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > now,
        RefreshToken.token_version == user.token_version,
    )


async def purge_expired(
    session: AsyncSession,
    now: datetime,
    *,
    user_id: uuid.UUID | None = None,
    limit: int | None = None,
) -> int:
    """Delete expired tokens (of one user, or all; at most `limit` of them).

    Revoked tokens are kept until they expire: a rotated token presented again
    before then is still recognised as reuse. After expiry it is refused anyway.
    """
    expired = [RefreshToken.expires_at <= now]
    if user_id is not None:
        expired.append(RefreshToken.user_id == user_id)
    statement = delete(RefreshToken)
    if limit is None:
        statement = statement.where(*expired)
    else:
        batch = select(RefreshToken.id).where(*expired).limit(limit)
        statement = statement.where(RefreshToken.id.in_(batch))
    result = await session.execute(
        statement.execution_options(synchronize_session=False)
    )
    return _affected(result)
