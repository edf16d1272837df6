"""GET, HEAD and OPTIONS requests read through sessions that cannot write.

On PostgreSQL they run in autocommit (no BEGIN/COMMIT round trips); on SQLite
they take no write lock. A read route that tries to write fails with a 500 and
leaves nothing behind.
"""

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.deps import SessionDep
from app.db.session import (
    READ_ONLY_OPTION,
    ReadOnlySessionError,
    create_read_sessionmaker,
    run_after_commit,
)
from app.models import User
from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory

WRITING_PATH = "/test-only/writes-on-read"


def with_writing_route(application: FastAPI) -> FastAPI:
    """`application` plus a route that adds a user whatever the method."""

    async def add_user(session: SessionDep) -> dict[str, str]:
        session.add(User(email="sneaky@example.com", hashed_password="x"))
        await session.flush()
        return {"written": "yes"}

    application.add_api_route(WRITING_PATH, add_user, methods=["GET", "POST"])
    return application


async def count_users(engine: AsyncEngine, email: str) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(User).where(User.email == email)
        )
    return count or 0


@pytest.fixture
def writing_app(app_factory: AppFactory, delete_committed_rows: None) -> FastAPI:
    return with_writing_route(app_factory())


async def test_a_get_that_writes_fails_and_writes_nothing(writing_app: FastAPI) -> None:
    async with http_client(writing_app) as http:
        response = await http.get(WRITING_PATH)

    assert response.status_code == 500
    assert "Traceback" not in response.text
    assert await count_users(writing_app.state.engine, "sneaky@example.com") == 0


async def test_the_same_write_in_a_post_commits(writing_app: FastAPI) -> None:
    async with http_client(writing_app) as http:
        response = await http.post(WRITING_PATH)

    assert response.status_code == 200, response.text
    assert await count_users(writing_app.state.engine, "sneaky@example.com") == 1


async def test_read_sessions_skip_the_transaction_or_the_write_lock(
    app: FastAPI, app_engine: AsyncEngine
) -> None:
    async with create_read_sessionmaker(app.state.read_engine)() as session:
        connection = await session.connection()
        if app_engine.dialect.name == "postgresql":
            raw = await connection.get_raw_connection()
            assert raw.dbapi_connection is not None
            assert raw.dbapi_connection.autocommit is True
            assert app.state.read_engine.pool is not app_engine.pool
        else:
            options = connection.sync_connection.get_execution_options()
            assert options[READ_ONLY_OPTION] is True
        assert (await session.scalar(select(func.count()).select_from(User))) >= 0


async def test_read_sessions_refuse_after_commit_work(app: FastAPI) -> None:
    async def side_effect() -> None:
        raise AssertionError("must never run")

    async with create_read_sessionmaker(app.state.read_engine)() as session:
        with pytest.raises(ReadOnlySessionError):
            run_after_commit(session, side_effect)
