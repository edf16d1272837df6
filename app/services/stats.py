"""Instance statistics: one aggregate query per table, cached for a while."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Item, User
from app.schemas.stats import ItemCounts, StatsRead, UserCounts

logger = logging.getLogger(__name__)


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

    With Redis (`shared`), the value lives under `key` with Redis' own expiry,
    so every instance answers the same numbers and they are recomputed once per
    period across the deployment rather than once per process; the key names
    the schema's version, so a deploy that changes `StatsRead` never reads the
    previous shape (an unreadable value counts as missing either way). If Redis
    fails, the process keeps its own copy until it answers again. One
    computation at a time per process: requests arriving while it runs wait for
    its result instead of each running the aggregate queries.
    """

    def __init__(
        self, ttl_seconds: float, shared: Redis | None = None, key: str = ""
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._shared = shared
        self._key = key
        self._value: StatsRead | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def _fresh(self) -> StatsRead | None:
        return self._value if time.monotonic() < self._expires_at else None

    async def _read_shared(self) -> StatsRead | None:
        if self._shared is None:
            return None
        try:
            raw = await self._shared.get(self._key)
        except (RedisError, OSError) as exc:
            logger.warning("stats cache: Redis unavailable (%s)", type(exc).__name__)
            return self._fresh()
        if raw is None:
            return None
        try:
            return StatsRead.model_validate_json(raw)
        except ValidationError:
            return None

    async def _write_shared(self, value: StatsRead) -> None:
        if self._shared is None:
            return
        milliseconds = max(1, int(self.ttl_seconds * 1000))
        try:
            await self._shared.set(self._key, value.model_dump_json(), px=milliseconds)
        except (RedisError, OSError) as exc:
            logger.warning("stats cache: Redis unavailable (%s)", type(exc).__name__)

    async def _cached(self) -> StatsRead | None:
        if self.ttl_seconds <= 0:
            return None
        if self._shared is not None:
            return await self._read_shared()
        return self._fresh()

    async def get(self, compute: Callable[[], Awaitable[StatsRead]]) -> StatsRead:
        value = await self._cached()
        if value is not None:
            return value
        async with self._lock:
            value = await self._cached()  # computed by the request we waited for
            if value is None:
                value = await compute()
                self._value = value
                self._expires_at = time.monotonic() + self.ttl_seconds
                if self.ttl_seconds > 0:
                    await self._write_shared(value)
            return value
