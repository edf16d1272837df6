"""The ceiling reference: one primary-key SELECT through a raw asyncpg pool.

What an authenticated request cannot avoid (one round trip for the user's row)
on top of the bare app, and nothing else: no ORM, no session, no transaction,
the statement prepared once by asyncpg's statement cache, the pool sized like
the app's, the row validated and serialised by one pydantic model.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from fastapi import FastAPI
from pydantic import BaseModel

from commands.bench.references import (
    CEILING_PATH,
    USER_ID_VARIABLE,
    ReferenceDatabase,
)

USER_BY_ID = (
    "SELECT id, email, is_active, is_superuser, is_verified, full_name, "
    "created_at, updated_at FROM users WHERE id = $1"
)


class UserRow(BaseModel):
    """The fields gatehouse's `UserRead` returns."""

    id: uuid.UUID
    email: str
    is_active: bool
    is_superuser: bool
    is_verified: bool
    full_name: str | None
    created_at: datetime
    updated_at: datetime


class Pool:
    """The asyncpg pool, opened by the app's lifespan."""

    connections: Any = None


def create_app() -> FastAPI:
    database = ReferenceDatabase.from_environment()
    user_id = uuid.UUID(os.environ[USER_ID_VARIABLE])
    pool = Pool()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool.connections = await asyncpg.create_pool(
            database.asyncpg_dsn,
            # Opened as needed, like the app's pools; as large as theirs.
            min_size=1,
            max_size=database.pool_size + database.max_overflow,
        )
        yield
        await pool.connections.close()

    app = FastAPI(lifespan=lifespan)

    @app.get(CEILING_PATH, response_model=UserRow)
    async def read_user() -> dict[str, Any]:
        row = await pool.connections.fetchrow(USER_BY_ID, user_id)
        return dict(row)

    return app
