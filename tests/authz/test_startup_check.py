"""The app refuses to start, naming them, if roles carry undefined permissions."""

import sqlite3
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.authz.startup import UndefinedPermissionsInDatabase
from app.models import Role, RolePermission
from tests.commands.cli import cli_env, run_cli
from tests.fixtures.app_factory import AppFactory, join_test_transaction
from tests.fixtures.database import run_alembic


async def add_role(session: AsyncSession, *permissions: str) -> None:
    role = Role(slug=f"legacy-{uuid.uuid4().hex[:8]}", name="Legacy")
    session.add(role)
    await session.flush()
    session.add_all(RolePermission(role_id=role.id, permission=p) for p in permissions)
    await session.commit()


def app_in_test_transaction(
    app_factory: AppFactory, test_sessionmaker: async_sessionmaker[AsyncSession]
) -> FastAPI:
    return join_test_transaction(
        app_factory(OUTBOX_WORKER_ENABLED=False), test_sessionmaker
    )


async def test_the_app_starts_when_every_permission_is_defined(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    db_session: AsyncSession,
) -> None:
    await add_role(db_session, "users:read", "items:read_any")
    application = app_in_test_transaction(app_factory, test_sessionmaker)

    async with application.router.lifespan_context(application):
        pass


async def test_the_app_refuses_to_start_naming_undefined_permissions(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    db_session: AsyncSession,
) -> None:
    await add_role(db_session, "users:read", "reports:export", "billing:refund")
    application = app_in_test_transaction(app_factory, test_sessionmaker)

    with pytest.raises(UndefinedPermissionsInDatabase) as refused:
        async with application.router.lifespan_context(application):
            pytest.fail("the app started")

    assert refused.value.permissions == ["billing:refund", "reports:export"]
    assert "billing:refund, reports:export" in str(refused.value)


async def test_uvicorn_does_not_serve_and_names_them(tmp_path: Path) -> None:
    database = tmp_path / "gatehouse.db"
    await run_alembic(f"sqlite+aiosqlite:///{database}", "upgrade", "head")
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO role_permissions (role_id, permission) "
            "SELECT id, 'reports:export' FROM roles WHERE slug = 'admin'"
        )

    result = await run_cli(
        "-m",
        "uvicorn",
        "app.asgi:app",
        "--port",
        "0",
        env=cli_env(f"sqlite:///{database}", OUTBOX_WORKER_ENABLED="false"),
    )

    assert result.exit_code != 0
    assert "reports:export" in result.stderr
    assert "Application startup failed" in result.stderr
