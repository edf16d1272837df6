"""Apply the database migrations: `alembic upgrade head`, with one-line errors.

    uv run python -m commands.migrate

Connects to MIGRATIONS_DATABASE_URL when set (straight to PostgreSQL when
DATABASE_URL goes through PgBouncer), else DATABASE_URL. On PostgreSQL the
upgrade holds an advisory lock (see alembic_migrations/env.py): instances
started together migrate once, the others wait and find nothing to do.
start.sh runs it before serving.
"""

import argparse
import asyncio
import sys

from alembic import command
from alembic.config import Config

from app.core.config import PROJECT_ROOT
from commands._common import EXIT_OK, load_settings, open_database, run_command


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    return config


async def check_database(url: str) -> None:
    """Fail in one line, before Alembic starts, if the database cannot be used."""
    async with open_database(load_settings(), url):
        pass


def migrate() -> int:
    url = load_settings().migrations_database_url
    asyncio.run(check_database(url))
    command.upgrade(alembic_config(url), "head")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="python -m commands.migrate",
        description=(
            "Apply every database migration not applied yet (alembic upgrade "
            "head), to MIGRATIONS_DATABASE_URL or else DATABASE_URL."
        ),
    )


def main(argv: list[str] | None = None) -> int:
    build_parser().parse_args(argv)
    return run_command(migrate)


if __name__ == "__main__":
    sys.exit(main())
