"""`python -m commands.migrate`: instances started together migrate once."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.commands.cli import cli_env, run_cli
from tests.commands.test_create_superuser import _recreate_postgres_database
from tests.fixtures.database import alembic_config

MIGRATE = ("-m", "commands.migrate")


@pytest.fixture
async def empty_database_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables: a SQLite file, or `<test database>_commands`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    test_url = make_url(database_url)
    name = f"{test_url.database}_commands"
    await _recreate_postgres_database(database_url, name, drop_only=False)
    yield test_url.set(database=name).render_as_string(hide_password=False)
    await _recreate_postgres_database(database_url, name, drop_only=True)


async def applied_revision(url: str) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT version_num FROM alembic_version")
            )
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def test_two_instances_started_together_migrate_once(
    empty_database_url: str,
) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_database_url))
    revisions = list(script.walk_revisions())
    env = cli_env(empty_database_url)

    first, second = await asyncio.gather(
        run_cli(*MIGRATE, env=env), run_cli(*MIGRATE, env=env)
    )

    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    for revision in revisions:
        runs = (first.output + second.output).count(f"-> {revision.revision}, ")
        assert runs == 1, (revision.revision, first.output, second.output)
    assert await applied_revision(empty_database_url) == [script.get_current_head()]


async def test_migrations_database_url_wins_over_database_url(
    empty_database_url: str, tmp_path: Path
) -> None:
    unused = tmp_path / "not-this-one.db"
    env = cli_env(
        f"sqlite+aiosqlite:///{unused}", MIGRATIONS_DATABASE_URL=empty_database_url
    )

    result = await run_cli(*MIGRATE, env=env)

    assert result.exit_code == 0, result.output
    assert "Running upgrade  -> 0001" in result.stderr
    assert not unused.exists()
    assert len(await applied_revision(empty_database_url)) == 1
