"""Give the browser tests an empty, migrated database.

    uv run --frozen python frontend/e2e/support/prepare_database.py DATABASE_URL

PostgreSQL: its `public` schema is dropped and recreated (use a database of its
own); SQLite: the file is expected to be new. Then `alembic upgrade head`.
"""

import asyncio
import sys

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import PROJECT_ROOT, normalize_database_url


async def drop_schema(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def main() -> None:
    url = normalize_database_url(sys.argv[1])
    if url.startswith("postgresql"):
        asyncio.run(drop_schema(url))
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


if __name__ == "__main__":
    main()
