"""Fixtures of the scale-out suite: PgBouncer, a database, Redis, two instances.

Marked `scale` and deselected by default (pyproject's addopts): it needs
PostgreSQL (TEST_DATABASE_URL) and Debian's `pgbouncer`, and `.ci/run` runs it
as a stage of its own (`pytest -m scale tests/scale`).
"""

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from app.core.config import Settings
from tests.fixtures.app import TEST_SECRETS
from tests.fixtures.smtp import Mailbox
from tests.scale.stack import (
    SCALE_REDIS_DB,
    PgBouncer,
    Process,
    api_instance,
    direct_url,
    fresh_database,
    migrate_command,
    pgbouncer_binary,
    run_to_end,
    running_pgbouncer,
    stack_env,
)

REDIS_SERVER = "redis://127.0.0.1:6379"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        pytest.fail("the scale suite needs TEST_DATABASE_URL on PostgreSQL")
    if pgbouncer_binary() is None:
        pytest.fail("the scale suite needs pgbouncer (apt-get install pgbouncer)")
    return url


@pytest.fixture(scope="session")
async def pgbouncer(postgres_url: str) -> AsyncIterator[PgBouncer]:
    async with running_pgbouncer(postgres_url) as bouncer:
        yield bouncer


@pytest.fixture(scope="session")
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this run's own; its keys are deleted at the end."""
    prefix = f"gatehouse-scale-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = aioredis.Redis.from_url(f"{REDIS_SERVER}/{SCALE_REDIS_DB}")
    try:
        async for key in client.scan_iter(match=f"{prefix}*"):
            await client.delete(key)
    finally:
        await client.aclose()


@dataclass
class Stack:
    """A migrated database behind PgBouncer, and the settings to reach it."""

    database: str
    direct_url: str
    pooled_url: str
    redis_prefix: str
    smtp_port: int

    def settings(self) -> Settings:
        """Settings for the test process itself: straight to the database."""
        return Settings(  # type: ignore[call-arg]
            _env_file=None,
            ENVIRONMENT="test",
            DATABASE_URL=self.direct_url,
            **TEST_SECRETS,
        )

    def env(self, **variables: str) -> dict[str, str]:
        values = {
            "DATABASE_URL": self.pooled_url,
            "DATABASE_POOLER": "pgbouncer",
            "MIGRATIONS_DATABASE_URL": self.direct_url,
            # Many client connections, few server connections (PGBOUNCER_POOL_SIZE).
            "DATABASE_POOL_SIZE": "5",
            "DATABASE_MAX_OVERFLOW": "0",
            "DATABASE_POOL_TIMEOUT": "30",
            "REDIS_URL": f"{REDIS_SERVER}/{SCALE_REDIS_DB}",
            "REDIS_KEY_PREFIX": self.redis_prefix,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp_port),
            "TRUSTED_PROXIES": "127.0.0.1",
            "RATE_LIMIT_ENABLED": "true",
            # A rotated token is refused at once, not after a grace period.
            "REFRESH_REUSE_GRACE_SECONDS": "0",
            "NEW_SIGN_IN_EMAIL_ENABLED": "false",
        }
        values.update(variables)
        return stack_env(**values)


async def new_stack(
    postgres_url: str, pgbouncer: PgBouncer, prefix: str, smtp_port: int
) -> AsyncIterator[Stack]:
    async with fresh_database(postgres_url) as database:
        yield Stack(
            database=database,
            direct_url=direct_url(postgres_url, database),
            pooled_url=pgbouncer.url(database),
            redis_prefix=prefix,
            smtp_port=smtp_port,
        )


@pytest.fixture
async def empty_stack(
    postgres_url: str,
    pgbouncer: PgBouncer,
    redis_prefix: str,
    smtp_server: tuple[Mailbox, int],
) -> AsyncIterator[Stack]:
    """A database of its own, not migrated yet."""
    prefix = f"{redis_prefix}-{uuid.uuid4().hex[:6]}"
    async for stack in new_stack(postgres_url, pgbouncer, prefix, smtp_server[1]):
        yield stack


@pytest.fixture(scope="module")
async def stack(
    postgres_url: str,
    pgbouncer: PgBouncer,
    redis_prefix: str,
    smtp_server: tuple[Mailbox, int],
) -> AsyncIterator[Stack]:
    """A migrated database shared by a module's tests."""
    prefix = f"{redis_prefix}-{uuid.uuid4().hex[:6]}"
    async for stack in new_stack(postgres_url, pgbouncer, prefix, smtp_server[1]):
        code, log = await run_to_end(migrate_command(), stack.env())
        assert code == 0, log
        yield stack


@dataclass
class Pair:
    a: Process
    b: Process


@pytest.fixture(scope="module")
async def instances(stack: Stack) -> AsyncIterator[Pair]:
    """Two instances: A with two worker processes, B with one."""
    async with (
        api_instance("A", stack.env(WEB_CONCURRENCY="2")) as a,
        api_instance("B", stack.env(WEB_CONCURRENCY="1")) as b,
    ):
        yield Pair(a, b)
