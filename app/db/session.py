"""Engine and session factories, and the one-transaction-per-request dependency.

Requests that change nothing (GET, HEAD, OPTIONS) get a read-only session (see
`app.api.deps.get_async_session`): on
PostgreSQL it comes from a second pool kept in autocommit (`create_read_engine`),
so a read costs its queries and no BEGIN or COMMIT round trips (under READ
COMMITTED each statement of a transaction sees a fresh snapshot anyway); on
SQLite it takes no write lock. Such a session refuses to flush, so a read route
that tries to write fails loudly instead of writing outside a transaction.

Behind PgBouncer in transaction mode (`DATABASE_POOLER=pgbouncer`) a client
connection is given a server connection for one transaction at a time, so
nothing may outlive a transaction: statements are prepared under unique names
and never cached (asyncpg numbers them per connection, and two clients' numbers
collide on one server connection), and there is no autocommit pool (a statement
outside a transaction could be prepared on one server connection and executed
on another). The app keeps no session state otherwise: no SET, no session
advisory lock (migrations take a transaction-level one), no LISTEN/NOTIFY.
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from app.core.config import Settings
from app.core.errors import AppError

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
_AFTER_COMMIT_KEY = "after_commit"
READ_ONLY_OPTION = "gatehouse_read_only"
READ_ONLY_SESSION = "read_only"
# Tasks started after a commit are kept here so they are not garbage-collected.
_background_tasks: set[asyncio.Task[None]] = set()


def create_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    url = url or settings.DATABASE_URL
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url, settings)
    return _create_postgresql_engine(url, settings)


def create_read_engine(settings: Settings, engine: AsyncEngine) -> AsyncEngine:
    """The engine for requests that only read (see the module docstring).

    On PostgreSQL: a second pool whose connections stay in autocommit. Switching
    one pool's connections to autocommit and back on every checkout would cost
    about a tenth of a small GET. On SQLite: a pool of its own too, whose
    connections take no write lock, so reads never queue behind writers.
    """
    if engine.dialect.name == "sqlite":
        if _in_memory(str(engine.url)):  # another engine would be another database
            return read_only_engine(engine)
        return read_only_engine(
            _create_sqlite_engine(str(engine.url), settings, writer=False)
        )
    if settings.behind_pgbouncer:
        # Reads run in transactions too: see the module docstring.
        return engine
    return _create_postgresql_engine(engine.url, settings, isolation_level="AUTOCOMMIT")


def _create_postgresql_engine(
    url: str | URL, settings: Settings, **options: Any
) -> AsyncEngine:
    engine = create_async_engine(
        url,
        echo=settings.DATABASE_ECHO,
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_MAX_OVERFLOW,
        pool_timeout=settings.DATABASE_POOL_TIMEOUT,
        pool_recycle=settings.DATABASE_POOL_RECYCLE_SECONDS,
        connect_args=_postgresql_connect_args(settings),
        **options,
    )
    event.listen(engine.sync_engine, "checkout", _discard_closed_connection)
    return engine


def _postgresql_connect_args(settings: Settings) -> dict[str, Any]:
    args: dict[str, Any] = {"timeout": settings.DATABASE_POOL_TIMEOUT}
    if settings.behind_pgbouncer:
        args.update(
            # asyncpg's own cache (its fetch/execute, type introspection).
            statement_cache_size=0,
            # SQLAlchemy's cache of asyncpg prepared statements, per connection.
            prepared_statement_cache_size=0,
            # A fresh name per statement: never "already exists" on a server
            # connection that another client prepared on. PgBouncer's
            # server_reset_query (DISCARD ALL, see deploy/) clears them.
            prepared_statement_name_func=_unique_statement_name,
        )
    return args


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def _discard_closed_connection(
    dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """A cheap stand-in for `pool_pre_ping`: skip connections the server closed.

    asyncpg notices a closed socket (a restarted or stopped server) by itself, so
    checking that costs nothing, where SQLAlchemy's pre-ping would spend three
    round trips (BEGIN, a query, ROLLBACK) on every checkout. Raising
    DisconnectionError makes the pool drop the connection and hand out another.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("connection closed by the server")


def _create_sqlite_engine(
    url: str, settings: Settings, *, writer: bool = True
) -> AsyncEngine:
    """SQLite, whose writers take turns: one connection writes at a time.

    SQLite lets one transaction write at once, and a writer waiting for the lock
    polls (the busy timeout) with growing pauses, so under load an unlucky one
    starves for seconds while others slip in. The writing engine therefore has
    a single pooled connection: writers queue for it in order, on the pool
    (DATABASE_POOL_TIMEOUT), and the busy timeout is left for other processes
    (migrations, commands). Readers have a pool of their own.
    """
    in_memory = _in_memory(url)
    if not in_memory:
        # Best effort: if the directory cannot be made, connecting fails and the
        # app answers 503 (and /health says why) instead of refusing to start.
        with suppress(OSError):
            Path(make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
    pool: dict[str, Any] = (
        {
            "pool_size": 1,
            "max_overflow": 0,
            "pool_timeout": settings.DATABASE_POOL_TIMEOUT,
        }
        if writer and not in_memory
        else {}
    )
    engine = create_async_engine(
        url,
        echo=settings.DATABASE_ECHO,
        connect_args={"timeout": settings.SQLITE_BUSY_TIMEOUT_MS / 1000},
        **pool,
    )
    configure_sqlite(engine.sync_engine, settings.SQLITE_BUSY_TIMEOUT_MS)
    return engine


def _in_memory(url: str) -> bool:
    return (make_url(url).database or ":memory:") == ":memory:"


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Foreign keys, WAL and a busy timeout on every connection.

    pysqlite's own transaction handling is switched off and `BEGIN IMMEDIATE` is
    emitted instead, so that SAVEPOINTs work and writers queue on the busy timeout
    rather than failing with "database is locked" when upgrading a read lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only connection (the health check) must not queue behind a
        # writer: in WAL mode a deferred transaction reads alongside it.
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """`engine` for work that only reads: on SQLite it takes no write lock."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(
    read_engine: AsyncEngine,
) -> async_sessionmaker[AsyncSession]:
    """Sessions for requests that only read, on `create_read_engine`'s engine."""
    return async_sessionmaker(
        read_engine,
        expire_on_commit=False,
        autoflush=False,
        info={READ_ONLY_SESSION: True},
    )


class ReadOnlySessionError(RuntimeError):
    """A read-only (GET) request's session was asked to write."""


@event.listens_for(Session, "before_flush")
def _refuse_read_only_flush(
    session: Session, _flush_context: UOWTransaction, _instances: object
) -> None:
    if session.info.get(READ_ONLY_SESSION):
        raise ReadOnlySessionError(
            "a GET, HEAD or OPTIONS request must not write: use another method"
        )


def run_after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` in the background once the session's transaction commits.

    Used for side effects (emails) that must not happen for rolled-back work and
    must not delay or fail the response.
    """
    if session.info.get(READ_ONLY_SESSION):
        raise ReadOnlySessionError("a read-only session never commits")
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


async def commit(session: AsyncSession) -> None:
    """Commit, then start the callbacks registered with `run_after_commit`."""
    await session.commit()
    callbacks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        task = asyncio.create_task(_run_logged(callback))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)


async def release_connection(session: AsyncSession) -> None:
    """Hand the session's connection back to the pool before slow CPU work.

    Only for a session that has read and not yet written: it ends the read's
    transaction (a COMMIT of nothing; loaded objects stay usable) and the next
    statement starts a new one on a pooled connection. A login holds no
    connection while its password hash is checked, so a flood of logins cannot
    empty the pool for every other request.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("release_connection() would commit pending changes")
    await session.commit()


async def rollback(session: AsyncSession) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)
    await session.rollback()


async def _run_logged(callback: AfterCommit) -> None:
    try:
        await callback()
    except Exception:
        logger.exception("after-commit task failed")


async def wait_for_background_tasks() -> None:
    """Let after-commit tasks finish (shutdown, commands and tests)."""
    while _background_tasks:
        await asyncio.gather(*list(_background_tasks), return_exceptions=True)


@asynccontextmanager
async def session_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block succeeds, rolled back otherwise
    -- except for an error that says its writes must be kept (`AppError.commits`)."""
    async with sessionmaker() as session:
        try:
            yield session
        except AppError as error:
            await (commit(session) if error.commits else rollback(session))
            raise
        except BaseException:
            await rollback(session)
            raise
        await commit(session)
