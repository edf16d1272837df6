"""The benchmark database: which one, emptying and migrating it, seeding it.

BENCH_DATABASE_URL names it; it is refused unless its name contains "bench",
because every run drops its public schema. Seeding is done by PostgreSQL itself
(`INSERT ... SELECT ... FROM generate_series`), so a million items take seconds
rather than the minutes Python-built rows would: the named clients first, then
the ordinary users and the items, then VACUUM ANALYZE so the planner sees what
autovacuum would have given a live database.
"""

import asyncio
import hashlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.passwords import password_helper_for
from app.core.config import PROJECT_ROOT, Settings, normalize_database_url
from app.db.session import create_engine
from app.models import Role, RolePermission, User, UserRole
from app.models.user import normalize_email

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/gatehouse_bench"
PASSWORD = "bench-Passphrase-2026"
SUPERUSER_EMAIL = "bench-admin@example.com"
USER_EMAIL = "bench-user@example.com"  # owns exactly OWN_ITEMS items
WRITER_EMAIL = "bench-writer@example.com"  # creates items, so lists stay put
STOCK_EMAIL = "bench-stock@example.com"  # the stock fastapi-users app's login
BUSY_EMAIL = "bench-busy@example.com"  # owns a tenth of the items: deep pages
# Not a superuser: holds the role OPERATOR_ROLE, which grants OPERATOR_PERMISSION
# (a superuser's permissions need no query, so it would show no check at all).
OPERATOR_EMAIL = "bench-operator@example.com"
OPERATOR_ROLE = "bench-operator"
OPERATOR_PERMISSION = "stats:read"
NAMED_EMAILS = (
    SUPERUSER_EMAIL,
    USER_EMAIL,
    WRITER_EMAIL,
    STOCK_EMAIL,
    BUSY_EMAIL,
    OPERATOR_EMAIL,
)
OWN_ITEMS = 100
BUSY_SHARE = 10  # the busy owner gets one item in BUSY_SHARE
# The named clients and at least one ordinary user to own the other items.
MIN_USERS = len(NAMED_EMAILS) + 1
SEED = 0.20261122  # setseed(): the same titles, owners and times on every run
LARGE_USERS = 100_000
LARGE_ITEMS = 1_000_000

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
    busy_owner_id: uuid.UUID
    some_owner_id: uuid.UUID  # an ordinary user with a few items


def ordinary_user_id(n: int) -> uuid.UUID:
    """The id the seeding SQL gives ordinary user `n` (md5 of a name, as a uuid)."""
    return uuid.UUID(hashlib.md5(f"bench-user-{n}".encode()).hexdigest())


# A word drawn at random, and a moment in the last two years.
WORD = "(CAST(:words AS TEXT[]))[1 + floor(random() * :word_count)::int]"
MOMENT = "now() - random() * interval '730 days'"

ORDINARY_USERS = f"""
WITH drawn AS MATERIALIZED (
    SELECT n, {MOMENT} AS created, random() AS active, random() AS verified,
           initcap({WORD}) AS name
    FROM generate_series(0, :count - 1) AS n
)
INSERT INTO users (id, email, email_normalized, hashed_password, is_active,
                   is_superuser, is_verified, full_name, created_at, updated_at)
SELECT md5('bench-user-' || n)::uuid, 'bench' || n || '@example.com',
       'bench' || n || '@example.com', :hashed,
       active > 0.05, false, verified > 0.2, name || ' ' || n, created, created
FROM drawn
"""

ITEMS = f"""
WITH drawn AS MATERIALIZED (
    SELECT n, {MOMENT} AS created, random() * interval '30 days' AS edited,
           CASE WHEN n < :own THEN CAST(:user_id AS uuid)
                WHEN n < :own + :busy THEN CAST(:busy_id AS uuid)
                ELSE md5('bench-user-' || floor(random() * :owners)::int)::uuid
           END AS owner_id,
           initcap({WORD}) || ' ' || {WORD} || ' ' || n AS title,
           CASE WHEN random() < 0.3 THEN NULL
                ELSE {" || ' ' || ".join([WORD] * 8)} END AS description
    FROM generate_series(0, :count - 1) AS n
)
INSERT INTO items (id, owner_id, title, description, created_at, updated_at)
SELECT gen_random_uuid(), owner_id, title, description, created, created + edited
FROM drawn
"""


# The secondary indexes of the seeded tables (not those behind constraints):
# built once after the rows are in, rather than updated row by row.
SECONDARY_INDEXES = """
SELECT indexname, indexdef FROM pg_indexes
WHERE schemaname = current_schema() AND tablename IN ('users', 'items')
  AND indexname NOT IN (SELECT conname FROM pg_constraint)
"""


@asynccontextmanager
async def indexes_built_afterwards(connection: AsyncConnection) -> AsyncIterator[None]:
    """Drop the tables' secondary indexes for the block, then build them again."""
    indexes = (await connection.execute(text(SECONDARY_INDEXES))).all()
    for name, _ in indexes:
        await connection.execute(text(f'DROP INDEX "{name}"'))
    yield
    await connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for _, definition in indexes:
        await connection.execute(text(definition))


async def insert_named_users(
    connection: AsyncConnection, hashed: str
) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in NAMED_EMAILS]
    rows = [
        {
            "id": user_id,
            "email": email,
            "email_normalized": normalize_email(email),
            "hashed_password": hashed,
            "is_active": True,
            "is_verified": True,
            "is_superuser": email == SUPERUSER_EMAIL,
            "full_name": email.partition("@")[0].title(),
        }
        for user_id, email in zip(ids, NAMED_EMAILS, strict=True)
    ]
    await connection.execute(insert(User), rows)
    return ids


async def grant_operator_role(
    connection: AsyncConnection, operator_id: uuid.UUID
) -> None:
    """OPERATOR_EMAIL's role, through the tables the permission check reads."""
    role_id = uuid.uuid4()
    await connection.execute(
        insert(Role), [{"id": role_id, "slug": OPERATOR_ROLE, "name": "Bench operator"}]
    )
    await connection.execute(
        insert(RolePermission),
        [{"role_id": role_id, "permission": OPERATOR_PERMISSION}],
    )
    await connection.execute(
        insert(UserRole), [{"user_id": operator_id, "role_id": role_id}]
    )


def busy_items(items: int) -> int:
    return (items - OWN_ITEMS) // BUSY_SHARE


async def seed(
    engine: AsyncEngine, settings: Settings, users: int, items: int
) -> Clients:
    """`users` users and `items` items, then VACUUM ANALYZE.

    Every user has the password PASSWORD, hashed once with `settings`' Argon2
    cost (so logins verify without rehashing). The named clients come first:
    USER_EMAIL owns exactly OWN_ITEMS items, BUSY_EMAIL a tenth of the rest, the
    ordinary users the others; everything was created over two years.
    """
    hashed = password_helper_for(settings).hash(PASSWORD)
    ordinary = users - len(NAMED_EMAILS)
    words = {"words": WORDS, "word_count": len(WORDS)}
    async with engine.begin() as connection:
        await connection.execute(text("SELECT setseed(:seed)"), {"seed": SEED})
        async with indexes_built_afterwards(connection):
            (
                superuser_id,
                user_id,
                _,
                _,
                busy_id,
                operator_id,
            ) = await insert_named_users(connection, hashed)
            await grant_operator_role(connection, operator_id)
            await connection.execute(
                text(ORDINARY_USERS), {"count": ordinary, "hashed": hashed, **words}
            )
            await connection.execute(
                text(ITEMS),
                {
                    "count": items,
                    "own": OWN_ITEMS,
                    "busy": busy_items(items),
                    "user_id": user_id,
                    "busy_id": busy_id,
                    "owners": ordinary,
                    **words,
                },
            )
    await vacuum_analyze(engine)
    return Clients(superuser_id, user_id, busy_id, ordinary_user_id(0))


async def prepare_database(
    settings: Settings, users: int, items: int
) -> tuple[Clients, str]:
    """Empty, migrate and seed the database; the clients and PostgreSQL's version."""
    engine = create_engine(settings)
    try:
        await prepare_schema(engine, settings.DATABASE_URL)
        clients = await seed(engine, settings, users, items)
        async with engine.connect() as connection:
            version = await connection.scalar(text("SHOW server_version"))
        return clients, str(version)
    finally:
        await engine.dispose()
