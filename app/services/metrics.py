"""Database connection figures for operators, read from the engine's pool."""

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from app.schemas.stats import (
    DatabaseMetricsRead,
    PooledDatabaseMetrics,
    UnpooledDatabaseMetrics,
)


def database_metrics(engine: AsyncEngine) -> DatabaseMetricsRead:
    pool = engine.pool
    dialect = engine.dialect.name
    pool_class = type(pool).__name__
    # PostgreSQL and file SQLite both get a QueuePool in SQLAlchemy 2.0;
    # in-memory SQLite shares one connection (StaticPool), NullPool keeps none.
    if not isinstance(pool, QueuePool):
        return UnpooledDatabaseMetrics(
            dialect=dialect,
            pool_class=pool_class,
            detail="This engine keeps no connection pool; there are no figures.",
        )
    return PooledDatabaseMetrics(
        dialect=dialect,
        pool_class=pool_class,
        size=pool.size(),
        checked_in=pool.checkedin(),
        checked_out=pool.checkedout(),
        # QueuePool counts up from -size; negative means "not all opened yet".
        overflow=max(pool.overflow(), 0),
    )
