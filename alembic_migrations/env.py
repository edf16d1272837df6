"""Alembic environment: async engine from the app's settings, batch mode on SQLite.

Migrations run under a lock, so two instances starting together migrate once:
the second waits, then finds nothing to do. On PostgreSQL it is a
transaction-level advisory lock, taken first thing in the one transaction that
applies every migration (PostgreSQL's DDL is transactional) and released by
its commit: no session state, so it holds even through PgBouncer in
transaction mode, although MIGRATIONS_DATABASE_URL should point past it (long
DDL should not hold a pooled server connection). The waiting instance reads
alembic_version only once it has the lock, so it sees the other's commit. On
SQLite it is a lock on a file beside the database.
"""

import asyncio
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.core.startup_errors import database_problem, exit_with, load_settings_or_exit
from app.db.session import create_engine
from app.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get(
    "configure_logger", True
):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata
# Any fixed bigint will do, as long as every gatehouse instance uses the same.
MIGRATION_LOCK_KEY = int.from_bytes(b"gatehous")


def database_url() -> str:
    # Tests and tools may pass a URL; otherwise the migrations URL from the
    # settings (MIGRATIONS_DATABASE_URL, else DATABASE_URL).
    url = config.attributes.get("database_url") or config.get_main_option(
        "sqlalchemy.url"
    )
    return url or load_settings_or_exit().migrations_database_url


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


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the database's migration lock for the block (SQLite; PostgreSQL's
    lock is taken inside the migration transaction, see `do_run_migrations`)."""
    database = connection.engine.url.database
    if connection.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    # Alembic runs SQLite's DDL outside one transaction, so SQLite's own
    # locking does not stop a second process from migrating at the same time.
    with Path(f"{database}.migrate-lock").open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def do_run_migrations(connection: Connection) -> None:
    with migration_lock(connection):
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Released by the transaction's end; alembic reads the current
                # revision after this, so a second instance finds it up to date.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": MIGRATION_LOCK_KEY},
                )
            context.run_migrations()


async def run_migrations_online() -> None:
    url = database_url()
    engine = create_engine(load_settings_or_exit(), url=url)
    try:
        connection = engine.connect()
        try:
            await connection.start()
        # The driver's own errors too (asyncpg's, OSError, timeouts): whatever
        # stops the connection is a problem of the database, said in one line.
        except Exception as exc:
            exit_with(database_problem(url, exc))
        try:
            await connection.run_sync(do_run_migrations)
        finally:
            await connection.close()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
