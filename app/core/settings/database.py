"""The database: its URL in any form hosts hand out, the pools, SQLite's waits."""

from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, ValidationInfo, field_validator

from app.core.settings.base import LOCAL_STATE_DIR, SettingsBase, is_production

DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{LOCAL_STATE_DIR / 'gatehouse.db'}"


def normalize_database_url(url: str) -> str:
    """Accept the URL forms hosting providers hand out and use the async drivers.

    `postgres://` and `postgresql://` become `postgresql+asyncpg://` (asyncpg spells
    libpq's `sslmode` as `ssl`); `sqlite://` becomes `sqlite+aiosqlite://`.
    """
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if scheme not in {
        "postgres",
        "postgresql",
        "postgresql+asyncpg",
        "postgresql+psycopg",
        "postgresql+psycopg2",
    }:
        return url
    parts = urlsplit(f"postgresql+asyncpg://{rest}")
    query = parts.query
    if "sslmode" in query:
        pairs = [("ssl" if k == "sslmode" else k, v) for k, v in parse_qsl(query)]
        query = urlencode(pairs)
    return urlunsplit(parts._replace(query=query))


class DatabaseSettings(SettingsBase):
    # Declared before DATABASE_URL, whose check reads it.
    ALLOW_SQLITE_IN_PRODUCTION: bool = False
    DATABASE_URL: str = Field(default=DEFAULT_SQLITE_URL, validate_default=True)
    # Migrations connect here when set: straight to PostgreSQL when DATABASE_URL
    # goes through PgBouncer (their advisory lock needs a session of its own).
    MIGRATIONS_DATABASE_URL: str | None = None
    TEST_DATABASE_URL: str | None = None
    # pgbouncer: DATABASE_URL goes through PgBouncer in transaction mode. Then no
    # statement is prepared under a reused name, nothing relies on session state,
    # and GET requests share the one (transactional) pool: see app/db/session.py.
    DATABASE_POOLER: Literal["none", "pgbouncer"] = "none"
    # Connections kept open per pool; on PostgreSQL a worker process has two
    # pools (transactions, and autocommit reads for GET requests). Overflow
    # connections are closed again as soon as they are returned, so under steady
    # load above the pool size they churn: size the pool for the load instead.
    DATABASE_POOL_SIZE: int = Field(default=20, ge=1)
    DATABASE_MAX_OVERFLOW: int = Field(default=0, ge=0)
    DATABASE_POOL_TIMEOUT: float = Field(default=5.0, gt=0)
    DATABASE_POOL_RECYCLE_SECONDS: int = 1800
    DATABASE_ECHO: bool = False
    SQLITE_BUSY_TIMEOUT_MS: int = Field(default=5000, ge=0)

    # GET /api/v1/stats is computed at most once per this many seconds (0: always).
    STATS_CACHE_SECONDS: float = Field(default=60, ge=0)

    @field_validator("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "TEST_DATABASE_URL")
    @classmethod
    def _normalize_database_url(cls, value: str | None) -> str | None:
        return normalize_database_url(value) if value else value

    # The production checks are field validators, not one model check, so that
    # every problem is reported at once, beside any other invalid field.

    @field_validator("DATABASE_URL")
    @classmethod
    def _refuse_sqlite_in_production(cls, value: str, info: ValidationInfo) -> str:
        if (
            is_production(info)
            and value.startswith("sqlite")
            and not info.data.get("ALLOW_SQLITE_IN_PRODUCTION")
        ):
            raise ValueError(
                "points at SQLite while ENVIRONMENT=production; use PostgreSQL "
                "or set ALLOW_SQLITE_IN_PRODUCTION=true deliberately"
            )
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    @property
    def behind_pgbouncer(self) -> bool:
        return self.DATABASE_POOLER == "pgbouncer"

    @property
    def migrations_database_url(self) -> str:
        return self.MIGRATIONS_DATABASE_URL or self.DATABASE_URL
