"""fastapi-users wiring: adapter and manager dependencies, JWT backend, current user."""

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi_users import FastAPIUsers
from fastapi_users.authentication import (
    AuthenticationBackend,
    BearerTransport,
    JWTStrategy,
)

from app.auth.db import UserDatabase
from app.auth.manager import UserManager
from app.core.config import Settings
from app.db.session import AsyncSessionDep
from app.models import User

API_PREFIX = "/api/v1"
LOGIN_URL = f"{API_PREFIX}/auth/login"


async def get_user_db(session: AsyncSessionDep) -> UserDatabase:
    return UserDatabase(session, User)


async def get_user_manager(
    request: Request, user_db: Annotated[UserDatabase, Depends(get_user_db)]
) -> UserManager:
    return UserManager(user_db, request.app.state.settings, request.app.state.mailer)


async def get_jwt_strategy(request: Request) -> JWTStrategy[User, uuid.UUID]:
    strategy: JWTStrategy[User, uuid.UUID] = request.app.state.jwt_strategy
    return strategy


def build_jwt_strategy(settings: Settings) -> JWTStrategy[User, uuid.UUID]:
    return JWTStrategy(
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

current_active_user = fastapi_users.current_user(active=True)
current_verified_user = fastapi_users.current_user(active=True, verified=True)
current_superuser = fastapi_users.current_user(active=True, superuser=True)
