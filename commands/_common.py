"""What every management command shares: exit codes, settings, the database.

Exit status: 0 done; 1 the input was refused (nothing was written); 2 a
configuration or database problem; 130 interrupted (Ctrl-C, or end of input at
a prompt). Every failure is one short message on stderr, never a traceback.
"""

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.config import Settings, get_settings
from app.core.startup_errors import EXIT_CONFIG as EXIT_CONFIG
from app.core.startup_errors import (
    configuration_report,
    database_problem,
    missing_sqlite_directory,
)
from app.db.session import (
    create_engine,
    create_sessionmaker,
    read_only_engine,
    wait_for_background_tasks,
)

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_INTERRUPTED = 130

_email_adapter: TypeAdapter[str] = TypeAdapter(EmailStr)


class CommandError(Exception):
    """A message for stderr and the exit status that goes with it."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def run_command(command: Callable[[], int]) -> int:
    """Run a command's body: its exit status, or one message and the error's."""
    try:
        return command()
    except CommandError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        return EXIT_INTERRUPTED


def validated_email(email: str) -> str:
    """The address as the API would store it, or a CommandError saying why not."""
    try:
        return _email_adapter.validate_python(email)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise CommandError(f"invalid email address {email!r}: {reason}") from exc


def load_settings() -> Settings:
    """The settings, or a CommandError listing every problem with them."""
    try:
        return get_settings()
    except ValidationError as exc:
        raise CommandError(configuration_report(exc), EXIT_CONFIG) from None


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    url: str


@asynccontextmanager
async def open_database(
    settings: Settings, url: str | None = None
) -> AsyncIterator[Database]:
    """The command's engine and sessions, checked reachable first, then disposed.

    An unreachable database, or a database error in the block, is a
    CommandError naming the database and the driver's reason (exit status 2).
    """
    url = url or settings.DATABASE_URL
    engine = create_engine(settings, url)
    try:
        await _check_reachable(engine, url)
        yield Database(engine, create_sessionmaker(engine), url)
    except SQLAlchemyError as exc:
        raise CommandError(database_problem(url, exc), EXIT_CONFIG) from exc
    finally:
        await wait_for_background_tasks()
        await engine.dispose()


async def _check_reachable(engine: AsyncEngine, url: str) -> None:
    problem = missing_sqlite_directory(url)
    if problem is not None:
        raise CommandError(problem, EXIT_CONFIG)
    try:
        async with read_only_engine(engine).connect() as connection:
            await connection.execute(text("SELECT 1"))
    # Connecting raises the driver's own errors (asyncpg's, OSError, timeouts)
    # as well as SQLAlchemy's: each of them means the database cannot be used.
    except Exception as exc:
        raise CommandError(database_problem(url, exc), EXIT_CONFIG) from exc
