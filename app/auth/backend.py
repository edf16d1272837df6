"""fastapi-users wiring: adapter and manager dependencies, JWT backend, current user."""

import uuid
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi_users import FastAPIUsers
from fastapi_users.authentication import AuthenticationBackend, BearerTransport

from app.auth.access_tokens import AccessSession, SessionJWTStrategy
from app.auth.db import UserDatabase
from app.auth.manager import UserManager
from app.core.config import Settings
from app.db.session import AsyncSessionDep
from app.models import User

API_PREFIX = "/api/v1"
LOGIN_URL = f"{API_PREFIX}/auth/login"


async def get_user_manager(request: Request, session: AsyncSessionDep) -> UserManager:
    """fastapi-users' manager over the request's session (one dependency, not two:
    every authenticated request resolves it)."""
    state = request.app.state
    return UserManager(UserDatabase(session, User), state.settings, state.email_queue)


async def get_jwt_strategy(request: Request) -> SessionJWTStrategy:
    strategy: SessionJWTStrategy = request.app.state.jwt_strategy
    return strategy.bound_to(request)


def build_jwt_strategy(settings: Settings) -> SessionJWTStrategy:
    return SessionJWTStrategy(
        secret=settings.secret("SECRET_KEY"),
        lifetime_seconds=settings.ACCESS_TOKEN_EXPIRE_SECONDS,
    )


bearer_transport = BearerTransport(tokenUrl=LOGIN_URL)

auth_backend = AuthenticationBackend[User, uuid.UUID](
    name="jwt",
    transport=bearer_transport,
    get_strategy=get_jwt_strategy,
)

fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])

# The strategy, bound to the request, also puts the user's id on the request for
# the access log and the audit trail.
current_active_user = fastapi_users.current_user(active=True)
current_verified_user = fastapi_users.current_user(active=True, verified=True)
current_superuser = fastapi_users.current_user(active=True, superuser=True)


# --- the session behind an access token (refresh, logout, sessions routes) ---

TokenStrategy = Annotated[SessionJWTStrategy, Depends(get_jwt_strategy)]


async def optional_access_session(
    token: Annotated[str | None, Depends(bearer_transport.scheme)],
    user_manager: Annotated[UserManager, Depends(get_user_manager)],
    strategy: TokenStrategy,
) -> AccessSession | None:
    """The bearer token's user and session, or None if absent or not valid."""
    access = await strategy.read_session(token, user_manager)
    if access is None or not access.user.is_active:
        return None
    if strategy.request is not None:
        strategy.request.state.user_id = access.user.id
    return access


async def current_access_session(
    access: Annotated[AccessSession | None, Depends(optional_access_session)],
) -> AccessSession:
    """Like `current_active_user`, but also names the token's session."""
    if access is None:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED)
    return access


OptionalAccessSession = Annotated[
    AccessSession | None, Depends(optional_access_session)
]
CurrentAccessSession = Annotated[AccessSession, Depends(current_access_session)]
