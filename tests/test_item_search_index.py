"""The superuser item search (`q`) can be answered by pg_trgm indexes on PostgreSQL.

The plan is asked for with sequential scans discouraged: on a test-sized table
the planner rightly prefers reading the table, and what is proven here is that
the search's own SQL (as `app.services.items` builds it) matches the indexes'
expressions. SQLite has no such index and keeps its portable LIKE.
"""

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.listing import contains_text
from app.models import Item
from app.services.items import SEARCHED_FIELDS

TRIGRAM_INDEXES = {"ix_items_title_trgm", "ix_items_description_trgm"}


async def index_names(db_session: AsyncSession) -> set[str]:
    connection = await db_session.connection()

    def names(sync_connection: Connection) -> set[str]:
        indexes = inspect(sync_connection).get_indexes("items")
        return {str(index["name"]) for index in indexes}

    return await connection.run_sync(names)


async def test_the_trigram_indexes_exist_on_postgresql_only(
    db_session: AsyncSession,
) -> None:
    names = await index_names(db_session)

    if db_session.get_bind().dialect.name == "postgresql":
        assert names >= TRIGRAM_INDEXES
    else:
        assert not names & TRIGRAM_INDEXES


async def test_the_search_reads_both_trigram_indexes_or_scans_on_sqlite(
    db_session: AsyncSession,
) -> None:
    """On SQLite: the same search is a portable LIKE over a scan of the table."""
    statement = select(Item.id).where(contains_text(SEARCHED_FIELDS, "Juniper_%"))
    compiled = statement.compile(
        db_session.get_bind(), compile_kwargs={"literal_binds": True}
    )
    if db_session.get_bind().dialect.name != "postgresql":
        query_plan = text(f"EXPLAIN QUERY PLAN {compiled}")
        steps = [str(row[-1]) for row in await db_session.execute(query_plan)]
        assert " LIKE " in str(compiled)
        assert any(step.startswith("SCAN items") for step in steps), steps
        return

    await db_session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join((await db_session.scalars(text(f"EXPLAIN {compiled}"))).all())

    assert "Bitmap Index Scan on ix_items_title_trgm" in plan, plan
    assert "Bitmap Index Scan on ix_items_description_trgm" in plan, plan
