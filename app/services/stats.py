"""Instance statistics: one aggregate query per table, cached for a while."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Item, User
from app.schemas.stats import ItemCounts, StatsRead, UserCounts


def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """COUNT of the rows matching `condition`; CASE works on every database."""
    return func.count(case((condition, 1)))


async def count_users(session: AsyncSession, now: datetime) -> UserCounts:
    # Table columns: fastapi-users types the mapped flags as plain `bool`.
    columns = User.__table__.c
    row = (
        await session.execute(
            select(
                func.count().label("total"),
                count_where(columns.is_active).label("active"),
                count_where(columns.is_verified).label("verified"),
                count_where(columns.is_superuser).label("superusers"),
                count_where(User.created_at >= now - timedelta(days=7)).label(
                    "created_last_7_days"
                ),
                count_where(User.created_at >= now - timedelta(days=30)).label(
                    "created_last_30_days"
                ),
            ).select_from(User)
        )
    ).one()
    return UserCounts.model_validate(row._asdict())


async def count_items(session: AsyncSession) -> ItemCounts:
    total = await session.scalar(select(func.count()).select_from(Item))
    return ItemCounts(total=total or 0)


async def compute_stats(session: AsyncSession) -> StatsRead:
    now = datetime.now(UTC)
    return StatsRead(
        users=await count_users(session, now),
        items=await count_items(session),
        computed_at=now,
    )


class StatsCache:
    """The last stats computed, reused for `ttl_seconds`.

    One computation at a time: requests arriving while it runs wait for its
    result instead of each running the aggregate queries.
    """

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._value: StatsRead | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def _fresh(self) -> StatsRead | None:
        return self._value if time.monotonic() < self._expires_at else None

    async def get(self, compute: Callable[[], Awaitable[StatsRead]]) -> StatsRead:
        value = self._fresh()
        if value is not None:
            return value
        async with self._lock:
            value = self._fresh()  # computed by the request we waited for
            if value is None:
                value = await compute()
                self._value = value
                self._expires_at = time.monotonic() + self.ttl_seconds
            return value
