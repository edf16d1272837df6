"""Alembic environment: async engine from the app's settings, batch mode on SQLite."""

import asyncio
import warnings
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from app.core.config import get_settings
from app.db.session import create_engine
from app.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get(
    "configure_logger", True
):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

# SQLite cannot reflect expression indexes (uq_users_email_lower); PostgreSQL runs
# compare them, so silence the warning rather than the check.
warnings.filterwarnings("ignore", message=".*expression-based index.*")


def database_url() -> str:
    # Tests and tools may pass a URL; otherwise DATABASE_URL from the settings.
    url = config.attributes.get("database_url") or config.get_main_option(
        "sqlalchemy.url"
    )
    return url or get_settings().DATABASE_URL


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(get_settings(), url=database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
