"""Access tokens bound to a session and to the user's token_version.

Besides fastapi-users' `sub` and `aud`, every access token carries `sid`, the
session (refresh token family) it was issued for, and `ver`, the user's
`token_version` at the time. A token is accepted only while its session is live
and the version is unchanged, so logout, revoking a session, a password change or
reset and deactivation end the access tokens concerned at once instead of when
they expire. The check costs nothing extra: the user is loaded by one query that
also tests the session.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import jwt
from fastapi import Request
from fastapi_users.authentication import JWTStrategy
from fastapi_users.jwt import SecretType, decode_jwt, generate_jwt
from fastapi_users.manager import BaseUserManager
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.models import RefreshToken, User

# The request attribute naming the authenticated user (access log, audit trail).
REQUEST_USER_STATE = "user_id"
# fastapi-users types `User.id` as a plain UUID for type checkers; it is a column.
_USER_ID = cast(InstrumentedAttribute[uuid.UUID], User.id)
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


@dataclass(frozen=True, slots=True)
class AccessSession:
    """An authenticated request: the user and the session its token belongs to."""

    user: User
    session_id: uuid.UUID


# Verified tokens remembered per process: an SPA sends the same access token with
# every request for its whole lifetime, and checking its signature again each
# time would cost more than the query that loads the user. Harmless with many
# instances: it remembers only what the token itself says (a signature checked
# once stays valid), never that its session is live or its version current --
# `read_session` asks the database on every request, so a session revoked or a
# password changed through instance A is refused by instance B at once.
VERIFIED_TOKENS_CACHED = 4096


@dataclass(frozen=True, slots=True)
class _Claims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    version: int
    expires_at: float


class SessionJWTStrategy(JWTStrategy[User, uuid.UUID]):
    """fastapi-users' JWT strategy with the `sid` and `ver` claims.

    Bound to the request (`bound_to`) so that reading a token can name the user
    on the request. Tokens are written by the sessions service
    (`app.sessions.service`), for the session it starts or refreshes.
    """

    def __init__(
        self,
        secret: SecretType,
        lifetime_seconds: int | None,
        request: Request | None = None,
        verify: Callable[[str], "_Claims | None"] | None = None,
    ) -> None:
        super().__init__(secret=secret, lifetime_seconds=lifetime_seconds)
        self.request = request
        self._verify = verify or lru_cache(maxsize=VERIFIED_TOKENS_CACHED)(
            self._verify_token
        )

    def bound_to(self, request: Request) -> "SessionJWTStrategy":
        # One cache of verified tokens for the whole app.
        return SessionJWTStrategy(
            self.secret, self.lifetime_seconds, request, self._verify
        )

    async def read_token(
        self, token: str | None, user_manager: BaseUserManager[User, uuid.UUID]
    ) -> User | None:
        access = await self.read_session(token, user_manager)
        return None if access is None else access.user

    async def read_session(
        self, token: str | None, user_manager: BaseUserManager[User, uuid.UUID]
    ) -> AccessSession | None:
        claims = self._decode(token)
        if claims is None:
            return None
        user_db = user_manager.user_db
        assert isinstance(user_db, SQLAlchemyUserDatabase)
        user = await load_session_user(
            user_db.session, claims.user_id, claims.session_id
        )
        if user is None or user.token_version != claims.version:
            return None
        if self.request is not None:
            # Names the actor in the audit trail and the user in the access log.
            setattr(self.request.state, REQUEST_USER_STATE, user.id)
        return AccessSession(user=user, session_id=claims.session_id)

    async def write_token(self, user: User) -> str:
        raise NotImplementedError(
            "access tokens belong to a session: use app.sessions.service"
        )

    def write_session_token(self, user: User, session_id: uuid.UUID) -> str:
        data: dict[str, Any] = {
            "sub": str(user.id),
            "sid": str(session_id),
            "ver": user.token_version,
            "aud": self.token_audience,
        }
        return generate_jwt(
            data, self.encode_key, self.lifetime_seconds, algorithm=self.algorithm
        )

    def _decode(self, token: str | None) -> _Claims | None:
        if token is None:
            return None
        claims = self._verify(token)
        if claims is None or claims.expires_at <= time.time():
            return None
        return claims

    def _verify_token(self, token: str) -> _Claims | None:
        """The token's claims if its signature, audience and expiry check out."""
        try:
            data = decode_jwt(
                token, self.decode_key, self.token_audience, algorithms=[self.algorithm]
            )
            version, expires_at = data["ver"], data["exp"]
            if type(version) is not int or type(expires_at) not in (int, float):
                return None
            return _Claims(
                user_id=uuid.UUID(str(data["sub"])),
                session_id=uuid.UUID(str(data["sid"])),
                version=version,
                expires_at=float(expires_at),
            )
        except (jwt.PyJWTError, KeyError, ValueError):
            return None
