"""GET /api/v1/metrics/database: pool figures for superusers.

PostgreSQL and file SQLite (what the suite runs on) both have a QueuePool in
SQLAlchemy 2.0, so the suite's app answers with figures; an app on in-memory
SQLite (one shared connection, StaticPool) shows the unpooled answer.
"""

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.models import Base
from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory
from tests.fixtures.users import create_user, login

DATABASE_METRICS = "/api/v1/metrics/database"


async def test_database_metrics_require_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(DATABASE_METRICS)

    assert response.status_code == 401


async def test_database_metrics_are_forbidden_to_ordinary_users(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(DATABASE_METRICS, headers=user_headers)

    assert response.status_code == 403


async def test_database_metrics_report_the_pool_of_the_suites_database(
    client: httpx.AsyncClient, settings: Settings, superuser_headers: dict[str, str]
) -> None:
    response = await client.get(DATABASE_METRICS, headers=superuser_headers)

    assert response.status_code == 200, response.text
    metrics = response.json()
    assert set(metrics) == {
        "dialect",
        "pooled",
        "pool_class",
        "size",
        "checked_in",
        "checked_out",
        "overflow",
    }
    assert metrics["pooled"] is True
    assert metrics["pool_class"] == "AsyncAdaptedQueuePool"
    # This test's own connection (every request runs on it) is checked out.
    assert metrics["checked_out"] >= 1
    assert metrics["checked_in"] >= 0
    assert metrics["overflow"] == 0
    if settings.is_sqlite:
        assert metrics["dialect"] == "sqlite"
        assert metrics["size"] >= 1
    else:
        assert metrics["dialect"] == "postgresql"
        assert metrics["size"] == settings.DATABASE_POOL_SIZE


async def test_database_metrics_say_so_when_there_is_no_pool(
    app_factory: AppFactory,
) -> None:
    application = app_factory(DATABASE_URL="sqlite+aiosqlite:///:memory:")
    engine: AsyncEngine = application.state.engine
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with application.state.sessionmaker() as session:
        admin = await create_user(application, session, is_superuser=True)

    async with http_client(application) as http:
        headers = await login(http, admin.email)
        response = await http.get(DATABASE_METRICS, headers=headers)

    assert response.status_code == 200, response.text
    metrics = response.json()
    assert metrics["dialect"] == "sqlite"
    assert metrics["pooled"] is False
    assert metrics["pool_class"] == "StaticPool"
    assert "no connection pool" in metrics["detail"]
    assert "size" not in metrics
