"""The benchmark database, shared by `commands.bench` and `commands.bench_lists`.

Which database (BENCH_DATABASE_URL, refused unless its name contains "bench"),
emptying and migrating it, seeding it with users and items the way a live
database would hold them, and capturing the SQL a request sends so its plan can
be shown with EXPLAIN.
"""

import asyncio
import os
import random
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.passwords import password_helper_for
from app.core.config import PROJECT_ROOT, Settings, normalize_database_url
from app.models import Item, User
from app.models.user import normalize_email

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/gatehouse_bench"
PASSWORD = "bench-Passphrase-2026"
SUPERUSER_EMAIL = "bench-admin@example.com"
USER_EMAIL = "bench-user@example.com"
OWN_ITEMS = 100
MIN_USERS = 3
BATCH = 5_000
SEED = 20261122

WORDS = (
    "amber basalt cedar delta ember fjord garnet harbor indigo juniper kestrel "
    "lagoon meadow nimbus obsidian prairie quartz raven sierra tundra umber "
    "violet willow xenon yarrow zephyr"
).split()


# --- which database ---------------------------------------------------------------


def bench_database_url(any_database: bool) -> str | None:
    """BENCH_DATABASE_URL (async driver), or None after saying on stderr why not.

    Every run empties the database, so its name must contain "bench" unless
    `any_database`; SQLite is refused (the figures would mean nothing).
    """
    url = normalize_database_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        sys.stderr.write("Error: BENCH_DATABASE_URL must point at PostgreSQL\n")
        return None
    if "bench" not in (parsed.database or "") and not any_database:
        sys.stderr.write(
            f"Error: refusing to empty database {parsed.database!r}: its name does "
            "not contain 'bench' (pass --any-database to insist)\n"
        )
        return None
    return url


# --- emptying and migrating ---------------------------------------------------------


async def reset_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))


def migrate(url: str) -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


async def prepare_schema(engine: AsyncEngine, url: str) -> None:
    """An empty database migrated to head."""
    await reset_schema(engine)
    # Alembic's env.py runs its own event loop: give it a thread.
    await asyncio.to_thread(migrate, url)


async def vacuum_analyze(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("users", "items"):
            await autocommit.execute(text(f"VACUUM ANALYZE {table}"))


# --- seeding ----------------------------------------------------------------------


@dataclass(frozen=True)
class Clients:
    superuser_id: uuid.UUID
    user_id: uuid.UUID
    busy_owner_id: uuid.UUID  # another user, for the superuser's owner filter


def random_moment(rng: random.Random, now: datetime) -> datetime:
    return now - timedelta(seconds=rng.randrange(2 * 365 * 24 * 3600))


def user_rows(
    count: int, hashed_password: str, rng: random.Random, now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        created = random_moment(rng, now)
        rows.append(
            {
                "id": uuid.uuid4(),
                "email": f"bench{n}@example.com",
                "hashed_password": hashed_password,
                "is_active": rng.random() > 0.05,
                "is_verified": rng.random() > 0.2,
                "is_superuser": False,
                "full_name": f"{rng.choice(WORDS).title()} {n}",
                "created_at": created,
                "updated_at": created,
            }
        )
    rows[0].update(email=SUPERUSER_EMAIL, is_superuser=True, is_active=True)
    rows[1].update(email=USER_EMAIL, is_active=True)
    for row in rows:
        row["email_normalized"] = normalize_email(str(row["email"]))
    return rows


def item_row(
    owner_id: uuid.UUID, n: int, rng: random.Random, now: datetime
) -> dict[str, Any]:
    created = random_moment(rng, now)
    words = rng.sample(WORDS, 3)
    return {
        "id": uuid.uuid4(),
        "owner_id": owner_id,
        "title": f"{words[0].title()} {words[1]} {n}",
        "description": None if rng.random() < 0.3 else " ".join(rng.sample(WORDS, 8)),
        "created_at": created,
        "updated_at": created + timedelta(seconds=rng.randrange(30 * 24 * 3600)),
    }


def item_rows(
    owner_ids: Sequence[uuid.UUID], count: int, rng: random.Random, now: datetime
) -> Iterator[dict[str, Any]]:
    """`OWN_ITEMS` for the ordinary client (owner_ids[1]); the rest spread out."""
    for n in range(OWN_ITEMS):
        yield item_row(owner_ids[1], n, rng, now)
    others = owner_ids[2:]
    for n in range(OWN_ITEMS, count):
        yield item_row(rng.choice(others), n, rng, now)


async def insert_batches(
    engine: AsyncEngine, model: type[User] | type[Item], rows: Iterator[dict[str, Any]]
) -> None:
    batch: list[dict[str, Any]] = []
    async with engine.begin() as connection:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                await connection.execute(insert(model), batch)
                batch = []
        if batch:
            await connection.execute(insert(model), batch)


async def seed(
    engine: AsyncEngine, settings: Settings, users: int, items: int
) -> Clients:
    """`users` users and `items` items, then VACUUM ANALYZE.

    Every user has the password PASSWORD, hashed once with `settings`' Argon2
    cost (so logins verify without rehashing). User 0 is the superuser
    SUPERUSER_EMAIL, user 1 the ordinary USER_EMAIL with exactly OWN_ITEMS items;
    the other items are spread over the other users, created over two years.
    """
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    hashed = password_helper_for(settings).hash(PASSWORD)
    users_data = user_rows(users, hashed, rng, now)
    owner_ids = [row["id"] for row in users_data]
    await insert_batches(engine, User, iter(users_data))
    await insert_batches(engine, Item, item_rows(owner_ids, items, rng, now))
    await vacuum_analyze(engine)
    return Clients(
        superuser_id=owner_ids[0], user_id=owner_ids[1], busy_owner_id=owner_ids[2]
    )


# --- the SQL a request sends, and its plan ----------------------------------------


@dataclass
class Captured:
    statement: str
    parameters: Any


@contextmanager
def capture_sql(engine: AsyncEngine) -> Iterator[list[Captured]]:
    """Every statement `engine` sends inside the block, with its parameters."""
    captured: list[Captured] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> None:
        captured.append(Captured(statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield captured
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def explain_plan(connection: AsyncConnection, query: Captured) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) of a captured statement, line by line."""
    plan = await connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query.statement, query.parameters
    )
    return [line for (line,) in plan]
