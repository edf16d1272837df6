"""Refresh tokens: issue at login, rotate with reuse detection, revoke, list, purge.

A refresh token is 256 random bits in an HttpOnly cookie scoped to the auth routes;
the database keeps only its SHA-256 hash. Every use rotates it: the presented token
is revoked and points at its successor. The tokens rotated from one login form a
family, which the user sees as one session.

Presenting a rotated token again means two parties hold it, so the whole family is
revoked -- except within REFRESH_REUSE_GRACE_SECONDS of the rotation while its
successor is still the family's live token: that is two tabs refreshing at once,
and the late one gets an access token but no new refresh token (its browser keeps
the cookie the winner set). Rotation locks the presented row (SELECT ... FOR
UPDATE on PostgreSQL; SQLite transactions are serialised by BEGIN IMMEDIATE), so
two concurrent refreshes never both rotate.

Nothing here commits: the caller's transaction does.
"""

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from fastapi import Request, Response
from sqlalchemy import (
    CursorResult,
    Select,
    bindparam,
    delete,
    exists,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.config import Settings
from app.core.errors import AppError, NotFound
from app.core.net import client_ip
from app.models import RefreshToken, User
from app.models.refresh_token import IP_MAX_LENGTH, USER_AGENT_MAX_LENGTH

REFRESH_COOKIE_NAME = "gatehouse_refresh"
# The auth routes' prefix: the browser sends the cookie to refresh and logout only.
REFRESH_COOKIE_PATH = "/api/v1/auth"
TOKEN_BYTES = 32
_LOGIN_SESSION_STATE = "login_session_id"
# fastapi-users types `User.id` as a plain UUID for type checkers; it is a column.
_USER_ID = cast(InstrumentedAttribute[uuid.UUID], User.id)


class RefreshRefused(AppError):
    """The refresh cookie is unknown, expired, revoked or its user cannot log in."""

    status_code = 401
    code = "REFRESH_TOKEN_INVALID"


class RefreshTokenMissing(RefreshRefused):
    code = "REFRESH_TOKEN_MISSING"


class RefreshTokenReused(RefreshRefused):
    """A rotated token came back: its family is revoked (commit that!).

    Same code as any invalid token: the holder learns nothing more.
    """


class SessionNotFound(NotFound):
    code = "SESSION_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What the sessions list shows about the device that holds a token."""

    user_agent: str | None
    ip: str | None

    @classmethod
    def of(cls, request: Request) -> "ClientInfo":
        agent = request.headers.get("user-agent")
        if agent is not None:
            agent = "".join(ch for ch in agent if ch.isprintable())
            agent = agent[:USER_AGENT_MAX_LENGTH] or None
        trusted = tuple(request.app.state.settings.TRUSTED_PROXIES)
        ip = client_ip(request, trusted)[:IP_MAX_LENGTH] or None
        return cls(user_agent=agent, ip=ip)


@dataclass(frozen=True, slots=True)
class Refreshed:
    user: User
    family_id: uuid.UUID
    # The rotated-in token for the cookie; None when the grace window answered.
    token: str | None


def utc_now() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def login_session_id(request: Request) -> uuid.UUID:
    """The session (family) id shared by a login's access and refresh tokens.

    fastapi-users writes the access token (strategy) before it calls
    `on_after_login` (manager); both ask here and get the same id.
    """
    family_id: uuid.UUID | None = getattr(request.state, _LOGIN_SESSION_STATE, None)
    if family_id is None:
        family_id = uuid.uuid4()
        setattr(request.state, _LOGIN_SESSION_STATE, family_id)
    return family_id


# --- cookie -----------------------------------------------------------------


def set_refresh_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        REFRESH_COOKIE_NAME,
        token,
        max_age=int(timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS).total_seconds()),
        path=REFRESH_COOKIE_PATH,
        secure=settings.REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite="lax",
    )


def clear_refresh_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        REFRESH_COOKIE_NAME,
        path=REFRESH_COOKIE_PATH,
        secure=settings.REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite="lax",
    )


# --- issuing and rotating -----------------------------------------------------


async def start_session(
    session: AsyncSession,
    user: User,
    family_id: uuid.UUID,
    client: ClientInfo,
    settings: Settings,
) -> str:
    """The first token of a new family, at login. Also drops the user's expired
    tokens: a cheap, indexed clean-up that keeps active users' rows few."""
    now = utc_now()
    await purge_expired(session, now, user_id=user.id)
    token, _ = _add_token(
        session,
        user=user,
        family_id=family_id,
        authenticated_at=now,
        client=client,
        settings=settings,
        now=now,
    )
    return token


async def refresh_session(
    session: AsyncSession, token: str, client: ClientInfo, settings: Settings
) -> Refreshed:
    """Rotate `token`; raises RefreshRefused (RefreshTokenReused after revoking)."""
    now = utc_now()
    presented = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_token(token))
        .with_for_update()
    )
    if presented is None or presented.expires_at <= now:
        raise RefreshRefused()
    user = await session.get(User, presented.user_id)
    if (
        user is None
        or not user.is_active
        or user.token_version != presented.token_version
    ):
        raise RefreshRefused()
    if presented.revoked_at is None:
        successor = _rotate(session, presented, user, client, settings, now)
        return Refreshed(user=user, family_id=presented.family_id, token=successor)
    if presented.replaced_by_id is None:
        raise RefreshRefused()  # revoked outright: logout, password change...
    if await _is_grace_reuse(session, presented, settings, now):
        return Refreshed(user=user, family_id=presented.family_id, token=None)
    await revoke_family(session, presented.family_id, now)
    raise RefreshTokenReused()


def _rotate(
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


def ends_sessions(user_changes: Mapping[str, Any]) -> bool:
    """Whether a user update must end every session: a new password (change or
    reset) or deactivation."""
    return "hashed_password" in user_changes or user_changes.get("is_active") is False


async def revoke_family(
    session: AsyncSession, family_id: uuid.UUID, now: datetime | None = None
) -> int:
    return await _revoke(session, RefreshToken.family_id == family_id, now=now)


async def revoke_family_of_token(session: AsyncSession, token: str) -> int:
    """Logout by cookie: end the session the token belongs to, whatever its state."""
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(
            RefreshToken.token_hash == hash_token(token)
        )
    )
    return 0 if family_id is None else await revoke_family(session, family_id)


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


# --- reading ------------------------------------------------------------------


# Built once: every authenticated request runs it, and a statement object that is
# reused keeps its compiled SQL and cache key instead of rebuilding them.
_SESSION_USER = select(User).where(
    _USER_ID == bindparam("user_id"),
    exists().where(
        RefreshToken.family_id == bindparam("family_id"),
        RefreshToken.user_id == _USER_ID,
        RefreshToken.revoked_at.is_(None),
    ),
)


async def load_session_user(
    session: AsyncSession, user_id: uuid.UUID, family_id: uuid.UUID
) -> User | None:
    """The user, if the session `family_id` of theirs is still live (one query)."""
    user: User | None = await session.scalar(
        _SESSION_USER, {"user_id": user_id, "family_id": family_id}
    )
    return user


def live_sessions(user: User, now: datetime) -> Select[tuple[RefreshToken]]:
    """The live token of each of the user's sessions (one row per family)."""
    return select(RefreshToken).where(
        RefreshToken.user_id == user.id,
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > now,
        RefreshToken.token_version == user.token_version,
    )


# --- purging ------------------------------------------------------------------


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
