"""Query helpers for list endpoints: one statement for the page, one for the total."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

LIKE_ESCAPE = "\\"


@dataclass(frozen=True, slots=True)
class PageParams:
    """Which page a list request asks for."""

    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class SortSpec:
    """The order a list request asks for: one whitelisted field, ties by id."""

    field: str
    descending: bool


def contains_text(
    columns: Sequence[InstrumentedAttribute[Any]], needle: str
) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of `columns`, wildcards literal.

    `lower(col) LIKE lower(pattern)` behaves the same on SQLite and PostgreSQL
    (SQLite's lower() folds ASCII only).
    """
    escaped = (
        needle.lower()
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", f"{LIKE_ESCAPE}%")
        .replace("_", f"{LIKE_ESCAPE}_")
    )
    pattern = f"%{escaped}%"
    return or_(
        *(func.lower(column).like(pattern, escape=LIKE_ESCAPE) for column in columns)
    )


def as_utc(moment: datetime) -> datetime:
    """Query datetimes without a zone are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True, slots=True)
class CreatedRange:
    """`created_after` (inclusive) and `created_before` (exclusive), either open."""

    after: datetime | None = None
    before: datetime | None = None

    def conditions(
        self, column: InstrumentedAttribute[datetime]
    ) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.after is not None:
            conditions.append(column >= as_utc(self.after))
        if self.before is not None:
            conditions.append(column < as_utc(self.before))
        return conditions


async def fetch_page[RowT](
    session: AsyncSession,
    statement: Select[tuple[RowT]],
    *,
    page: PageParams,
    sort: SortSpec,
    sortable: Mapping[str, InstrumentedAttribute[Any] | ColumnElement[Any]],
    tiebreaker: InstrumentedAttribute[Any],
    scalars: bool = True,
) -> tuple[list[RowT], int]:
    """The requested page of `statement` and the size of the whole filtered set.

    With `scalars=False` the rows are returned whole: for a statement of columns
    rather than an entity, which is several times cheaper to load and needs no
    identity map when the rows are only read and serialised.
    """
    column = sortable[sort.field]
    ordering = (
        (column.desc(), tiebreaker.desc())
        if sort.descending
        else (column.asc(), tiebreaker.asc())
    )
    # One row more than the page tells whether anything follows it: the total of
    # a set that ends on this page is known without a count query (unless the
    # page is empty past the first: the offset may be beyond the end).
    result = await session.execute(
        statement.order_by(*ordering).limit(page.limit + 1).offset(page.offset)
    )
    # Entities (RowT) come one per row from scalars(); whole rows otherwise.
    items: list[Any] = list(result.scalars() if scalars else result)
    if len(items) <= page.limit and (items or page.offset == 0):
        return items, page.offset + len(items)
    del items[page.limit :]
    total = await session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    return items, total or 0
