"""Operator views: instance statistics and database connection figures."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class UserCounts(BaseModel):
    total: int
    active: int
    verified: int
    superusers: int
    created_last_7_days: int
    created_last_30_days: int


class ItemCounts(BaseModel):
    total: int


class StatsRead(BaseModel):
    users: UserCounts
    items: ItemCounts
    computed_at: datetime = Field(
        description="When these figures were computed; unchanged while cached."
    )


class PooledDatabaseMetrics(BaseModel):
    """Figures of a connection pool (SQLAlchemy's QueuePool)."""

    dialect: str
    pooled: Literal[True] = True
    pool_class: str
    size: int = Field(description="Connections the pool keeps open at most when idle.")
    checked_in: int = Field(description="Open connections waiting in the pool.")
    checked_out: int = Field(description="Connections in use right now.")
    overflow: int = Field(description="Open connections beyond `size`.")


class UnpooledDatabaseMetrics(BaseModel):
    """The engine keeps no pool to report on (e.g. in-memory SQLite's single one)."""

    dialect: str
    pooled: Literal[False] = False
    pool_class: str
    detail: str


DatabaseMetricsRead = PooledDatabaseMetrics | UnpooledDatabaseMetrics
