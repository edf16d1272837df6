"""The stock reference: fastapi-users as its documentation's full example sets it up.

JWT bearer transport and strategy, the stock `SQLAlchemyUserDatabase` over an
async session per request, `BaseUserManager` with `UUIDIDMixin`, the auth router
for its own login and the users router for `GET /users/me`
(`current_user(active=True)`). The only departures: the model maps the seeded
`users` table (the columns fastapi-users needs, nothing of gatehouse's), the
settings come from the environment, and the engine's pool is sized like the
app's, so that the comparison measures the library's path and not pool churn
(the documentation's default pool of 5 would open and close overflow
connections under 32 concurrent requests).
"""

import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import (
    AuthenticationBackend,
    BearerTransport,
    JWTStrategy,
)
from fastapi_users_db_sqlalchemy import (
    SQLAlchemyBaseUserTableUUID,
    SQLAlchemyUserDatabase,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from commands.bench.references import SECRET_VARIABLE, ReferenceDatabase


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    __tablename__ = "users"


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserUpdate(schemas.BaseUserUpdate):
    pass


UserDatabase = SQLAlchemyUserDatabase[User, uuid.UUID]


def create_app() -> FastAPI:
    database = ReferenceDatabase.from_environment()
    secret = os.environ[SECRET_VARIABLE]

    engine = create_async_engine(
        database.url,
        pool_size=database.pool_size,
        max_overflow=database.max_overflow,
    )
    async_session_maker = async_sessionmaker(engine, expire_on_commit=False)

    async def get_async_session() -> AsyncGenerator[AsyncSession]:
        async with async_session_maker() as session:
            yield session

    async def get_user_db(
        session: Annotated[AsyncSession, Depends(get_async_session)],
    ) -> AsyncGenerator[UserDatabase]:
        yield SQLAlchemyUserDatabase(session, User)

    class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
        reset_password_token_secret = secret
        verification_token_secret = secret

    async def get_user_manager(
        user_db: Annotated[UserDatabase, Depends(get_user_db)],
    ) -> AsyncGenerator[UserManager]:
        yield UserManager(user_db)

    bearer_transport = BearerTransport(tokenUrl="auth/jwt/login")

    def get_jwt_strategy() -> JWTStrategy[User, uuid.UUID]:
        return JWTStrategy(secret=secret, lifetime_seconds=3600)

    auth_backend = AuthenticationBackend[User, uuid.UUID](
        name="jwt", transport=bearer_transport, get_strategy=get_jwt_strategy
    )
    fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(
        fastapi_users.get_auth_router(auth_backend), prefix="/auth/jwt", tags=["auth"]
    )
    app.include_router(
        fastapi_users.get_users_router(UserRead, UserUpdate),
        prefix="/users",
        tags=["users"],
    )
    return app
