"""The per-test rollback really isolates tests, on SQLite as on PostgreSQL."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.models import User


async def test_rows_written_in_a_test_are_visible_inside_it(
    db_session: AsyncSession, user: User
) -> None:
    count = await db_session.scalar(select(func.count()).select_from(User))
    assert count == 1


async def test_rows_from_the_previous_test_are_gone(app_engine: AsyncEngine) -> None:
    async with app_engine.connect() as connection:
        count = await connection.scalar(select(func.count()).select_from(User))
    assert count == 0
