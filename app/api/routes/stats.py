"""Instance statistics (`stats:read`), cached in Redis (or else the process)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.api.deps import PERMISSION_REQUIRED, CanReadStats, SessionDep
from app.api.responses import raises
from app.core.redis import redis_key
from app.schemas.stats import StatsRead
from app.services.stats import StatsCache, compute_stats

router = APIRouter(tags=["operations"])
# Part of the Redis key: change it when StatsRead changes shape.
STATS_CACHE_VERSION = "v1"


async def get_stats_cache(request: Request) -> StatsCache:
    """The app's cache (per app, so test apps do not share one), made on first use."""
    state = request.app.state
    if not hasattr(state, "stats_cache"):
        settings = state.settings
        state.stats_cache = StatsCache(
            settings.STATS_CACHE_SECONDS,
            shared=state.redis,
            key=redis_key(settings.REDIS_KEY_PREFIX, "stats", STATS_CACHE_VERSION),
        )
    cache: StatsCache = state.stats_cache
    return cache


StatsCacheDep = Annotated[StatsCache, Depends(get_stats_cache)]


@router.get("/stats", response_model=StatsRead, responses=raises(*PERMISSION_REQUIRED))
async def read_stats(
    session: SessionDep, _: CanReadStats, cache: StatsCacheDep
) -> StatsRead:
    """User and item counts, recomputed at most every `STATS_CACHE_SECONDS`."""
    return await cache.get(lambda: compute_stats(session))
