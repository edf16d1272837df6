"""Settings for running many processes: the warning without Redis, the pooler."""

import logging
from typing import Any

import pytest

from app.core.config import Settings
from app.db.session import create_engine, create_read_engine
from app.main import create_app
from tests.fixtures.app import TEST_SECRETS

POSTGRES = "postgresql+asyncpg://gatehouse@db.example.com/gatehouse"
WARNING = "only one process is supported"


def production(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ENVIRONMENT": "production",
        "DATABASE_URL": POSTGRES,
        "OUTBOX_WORKER_ENABLED": False,
        **TEST_SECRETS,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def start_up(settings: Settings, caplog: pytest.LogCaptureFixture) -> list[str]:
    app = create_app(settings)
    with caplog.at_level(logging.WARNING, logger="app.main"):
        async with app.router.lifespan_context(app):
            pass
    return [r.getMessage() for r in caplog.records if WARNING in r.getMessage()]


async def test_production_warns_at_start_up_with_workers_and_no_redis(
    caplog: pytest.LogCaptureFixture,
) -> None:
    warnings = await start_up(production(WEB_CONCURRENCY=4), caplog)

    assert len(warnings) == 1
    assert "WEB_CONCURRENCY=4 without REDIS_URL" in warnings[0]


@pytest.mark.parametrize(
    "overrides",
    [
        {"WEB_CONCURRENCY": 1},
        {"WEB_CONCURRENCY": 4, "REDIS_URL": "redis://127.0.0.1:6379/14"},
    ],
    ids=["one-worker", "with-redis"],
)
async def test_no_warning_with_one_worker_or_with_redis(
    caplog: pytest.LogCaptureFixture, overrides: dict[str, Any]
) -> None:
    assert await start_up(production(**overrides), caplog) == []


def test_development_never_warns() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, ENVIRONMENT="development", WEB_CONCURRENCY=4, **TEST_SECRETS
    )
    assert settings.scale_out_warning() is None


async def test_behind_pgbouncer_reads_share_the_transactional_pool() -> None:
    direct = production()
    pooled = production(DATABASE_POOLER="pgbouncer")
    engines = []
    try:
        for settings in (direct, pooled):
            engine = create_engine(settings)
            engines += [engine, create_read_engine(settings, engine)]
        direct_write, direct_read, pooled_write, pooled_read = engines
        # No autocommit pool behind PgBouncer: a statement outside a transaction
        # could be prepared on one server connection and run on another.
        assert pooled_read is pooled_write
        assert direct_read is not direct_write
        assert direct_read.get_execution_options() == {}
        assert direct_read.sync_engine.dialect.name == "postgresql"
    finally:
        for engine in engines:
            await engine.dispose()


def test_the_pooler_setting_accepts_only_known_poolers() -> None:
    with pytest.raises(ValueError, match="DATABASE_POOLER"):
        production(DATABASE_POOLER="pgpool")
