"""Start-up problems as one short line each: invalid settings, an unreachable database.

Shared by the ASGI entry point, Alembic's env.py and the management commands,
so that a person sees the same messages however they start gatehouse, and no
traceback for a problem of their configuration or their database server.
"""

import os
import socket
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.core.config import Settings, get_settings

EXIT_CONFIG = 2
MAX_INPUT_SHOWN = 60
INVALID_PASSWORD = "28P01"
INVALID_AUTHORIZATION = "28000"  # e.g. the role does not exist
INVALID_CATALOG_NAME = "3D000"  # the database does not exist
UNDEFINED_TABLE = "42P01"
# Values of these settings are never repeated back, even when invalid.
_SECRET_MARKERS = ("SECRET", "PASSWORD", "KEY", "TOKEN")
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")
# Error types whose message says what is wrong but not what was given.
_TYPES_WITHOUT_INPUT = frozenset({"value_error", "assertion_error", "missing"})


# --- settings ---------------------------------------------------------------


def settings_problems(error: ValidationError) -> list[str]:
    """One `NAME: what is wrong` line per invalid setting, in declaration order."""
    return [_problem_line(item) for item in error.errors(include_url=False)]


def _problem_line(item: Any) -> str:
    location: tuple[int | str, ...] = item["loc"]
    name = str(location[0]) if location else ""
    message = str(item["msg"])
    for prefix in _PYDANTIC_PREFIXES:
        message = message.removeprefix(prefix)
    shown = item.get("input")
    if (
        name
        and item["type"] not in _TYPES_WITHOUT_INPUT
        and isinstance(shown, str)
        and not any(marker in name for marker in _SECRET_MARKERS)
    ):
        if len(shown) > MAX_INPUT_SHOWN:
            shown = shown[:MAX_INPUT_SHOWN] + "..."
        message = f"{message} (got {shown!r})"
    # A model-level check has no field: its message names the variables.
    return f"{name}: {message}" if name else message


def configuration_report(error: ValidationError) -> str:
    problems = settings_problems(error)
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    lines = [f"invalid configuration ({count}; see .env.example):"]
    lines += [f"  {problem}" for problem in problems]
    return "\n".join(lines)


def load_settings_or_exit(load: Callable[[], Settings] = get_settings) -> Settings:
    """The settings; or every problem with them on stderr, and exit status 2."""
    try:
        return load()
    except ValidationError as exc:
        exit_with(configuration_report(exc))


def exit_with(message: str, exit_code: int = EXIT_CONFIG) -> NoReturn:
    sys.stderr.write(f"Error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(exit_code)


# --- the database -----------------------------------------------------------


def database_target(url: str) -> str:
    """Where the database is, for a message: host and port, or the SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite file {sqlite_path(url)}"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return (
        f"PostgreSQL at {where} (database {parsed.database!r}, "
        f"user {parsed.username!r})"
    )


def sqlite_path(url: str) -> Path:
    database = make_url(url).database or ":memory:"
    return Path(database).resolve() if database != ":memory:" else Path(database)


def database_problem(url: str, exc: BaseException) -> str:
    """One line: which database, and the driver's reason it cannot be used."""
    return f"cannot use {database_target(url)}: {database_reason(url, exc)}"


def missing_sqlite_directory(url: str) -> str | None:
    """Why a SQLite file's directory is not there (one line), or None.

    Checked before connecting: a failed aiosqlite connect leaves a thread behind
    that reports to the event loop after a command has closed it (a traceback).
    """
    if make_url(url).get_backend_name() != "sqlite":
        return None
    path = sqlite_path(url)
    if path == Path(":memory:") or path.parent.is_dir():
        return None
    return f"cannot use {database_target(url)}: {_unopenable_sqlite_file(path)}"


def database_reason(url: str, exc: BaseException) -> str:
    for cause in _causes(exc):
        reason = _known_reason(url, cause)
        if reason is not None:
            return reason
    cause = getattr(exc, "orig", None) or exc
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return (
        f"{type(cause).__name__}: {first_line}" if first_line else type(cause).__name__
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, SQLAlchemy's wrapped driver error, and their causes."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [getattr(current, "orig", None), current.__cause__]
        pending.append(current.__context__)


def _known_reason(url: str, cause: BaseException) -> str | None:
    if getattr(cause, "orig", None) is not None:
        return None  # SQLAlchemy's wrapper (its text holds the SQL): ask the driver's
    # PostgreSQL's error codes, as asyncpg (and psycopg) expose them.
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == INVALID_PASSWORD:
        return f"authentication failed ({cause})"
    if sqlstate == INVALID_AUTHORIZATION:
        return f"the server refused the login: {cause}"
    if sqlstate == INVALID_CATALOG_NAME:
        return str(cause)
    if sqlstate == UNDEFINED_TABLE or "no such table" in str(cause):
        return f"it is not migrated ({cause}); run `uv run python -m commands.migrate`"
    if isinstance(cause, socket.gaierror):
        return f"the host name cannot be resolved ({cause.strerror})"
    if isinstance(cause, TimeoutError):
        return "timeout: no answer from the server in time (DATABASE_POOL_TIMEOUT)"
    if isinstance(cause, ConnectionRefusedError) or (
        isinstance(cause, OSError) and "Errno 111" in str(cause)
    ):
        return "connection refused: is the server running and listening there?"
    if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
        return _unopenable_sqlite_file(sqlite_path(url))
    return None


def _unopenable_sqlite_file(path: Path) -> str:
    directory = path.parent
    blocking = next((p for p in (directory, *directory.parents) if p.is_file()), None)
    if blocking is not None:
        return f"cannot create the directory {directory}: {blocking} is a file"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create the directory {directory}: {exc.strerror or exc}"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"the directory {directory} is not writable"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return "the file is not readable and writable"
    return "unable to open the database file"
