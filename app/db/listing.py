"""Query helpers for list endpoints: keyset pages, and a total only when asked for."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import AppError
from app.db.base import UTCDateTime

LIKE_ESCAPE = "\\"


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the sort it was listed by, its last row's sort value
    and id. Carried between requests as a signed cursor (`app.db.cursors`)."""

    sort: str  # "field" or "-field"
    value: Any
    id: Any


class CursorEncoder(Protocol):
    """Turns where a page ended into the `next_cursor` a client sends back."""

    def encode(self, position: Position) -> str: ...


@dataclass(frozen=True, slots=True)
class PageParams:
    """Which page a list request asks for: `limit` rows after `after` (None:
    the first page), whether to count the whole filtered set, and how to write
    the next page's cursor."""

    limit: int
    after: Position | None = None
    exact_count: bool = False
    cursors: CursorEncoder | None = None

    def cursor_after(self, position: Position | None) -> str | None:
        if position is None:
            return None
        if self.cursors is None:
            raise RuntimeError("PageParams without a cursor encoder")
        return self.cursors.encode(position)


@dataclass(frozen=True, slots=True)
class Fetched[RowT]:
    """A page of rows, the total if asked for, and where the next page starts."""

    items: list[RowT]
    total: int | None
    next: Position | None


class InvalidCursor(AppError, status=422, code="INVALID_CURSOR"):
    """The `cursor` was not made by this server for this list's sort.

    Answered in the 422 shape of an invalid field, naming `cursor`.
    """

    def __init__(self, problem: str = "is not a valid cursor for this list") -> None:
        super().__init__(problem)

    @property
    def detail(self) -> list[dict[str, Any]]:
        return [
            {
                "type": "value_error",
                "loc": ["query", "cursor"],
                "msg": f"Value error, the cursor {self.reason}",
            }
        ]


@dataclass(frozen=True, slots=True)
class SortSpec:
    """The order a list request asks for: one whitelisted field, ties by id."""

    field: str
    descending: bool

    @property
    def token(self) -> str:
        """As the `sort` query parameter spells it."""
        return f"-{self.field}" if self.descending else self.field


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


SORT_VALUE = "_sort_value"
SORT_ID = "_sort_id"
# What a page query adds to its columns: the sort value and the id of each row,
# read back exactly as the database compares them (for the next cursor).
KEYSET_COLUMNS = 2

Sortable = InstrumentedAttribute[Any] | ColumnElement[Any]


def comparable(column: Sortable, dialect: str) -> ColumnElement[Any]:
    """`column` as the database compares it.

    SQLite keeps datetimes as text whose precision depends on who wrote it (the
    server default has milliseconds, SQLAlchemy writes microseconds): the cursor
    holds that text as stored and compares text with text, exactly like ORDER BY.
    """
    if dialect == "sqlite" and isinstance(column.type, UTCDateTime):
        return type_coerce(column, String())
    return column.expression if isinstance(column, InstrumentedAttribute) else column


def after_condition(
    column: ColumnElement[Any],
    tiebreaker: ColumnElement[Any],
    after: Position,
    descending: bool,
) -> ColumnElement[bool]:
    """Rows strictly after `after` in (column, id) order.

    Written as `column <= v AND (column < v OR id < i)` (descending) rather than
    a row comparison: the first term is a range on the sort column's index on
    both databases, whatever columns that index has.
    """
    if descending:
        return and_(
            column <= after.value,
            or_(column < after.value, tiebreaker < after.id),
        )
    return and_(column >= after.value, or_(column > after.value, tiebreaker > after.id))


async def _fetch(
    session: AsyncSession,
    statement: Select[Any],
    page: PageParams,
    sort: SortSpec,
    sortable: Mapping[str, Sortable],
    tiebreaker: InstrumentedAttribute[Any],
) -> tuple[list[Any], int | None, Position | None]:
    dialect = session.get_bind().dialect.name
    column = comparable(sortable[sort.field], dialect)
    row_id = tiebreaker.expression
    ordering = (
        (column.desc(), row_id.desc())
        if sort.descending
        else (column.asc(), row_id.asc())
    )
    paged = statement
    if page.after is not None:
        if page.after.sort != sort.token:
            raise InvalidCursor(f"was made for sort={page.after.sort}")
        paged = paged.where(
            after_condition(column, row_id, page.after, sort.descending)
        )
    # One row more than the page tells whether another page follows it.
    result = await session.execute(
        paged.add_columns(column.label(SORT_VALUE), row_id.label(SORT_ID))
        .order_by(*ordering)
        .limit(page.limit + 1)
    )
    rows = list(result)
    following = None
    if len(rows) > page.limit:
        del rows[page.limit :]
        last = rows[-1]
        following = Position(sort.token, last[-2], last[-1])
    total = None
    if page.exact_count and page.after is None and following is None:
        total = len(rows)  # the whole set is on this first page: nothing to count
    elif page.exact_count:
        total = await session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())
        )
    return rows, total, following


async def fetch_page[EntityT](
    session: AsyncSession,
    statement: Select[tuple[EntityT]],
    *,
    page: PageParams,
    sort: SortSpec,
    sortable: Mapping[str, Sortable],
    tiebreaker: InstrumentedAttribute[Any],
) -> Fetched[EntityT]:
    """The requested page of `statement` (of one entity), by keyset.

    Rows come after `page.after` in (sort column, id) order, so any page costs
    what the first does: an index range, never an OFFSET walk. `total` is only
    counted when asked for (`count=exact`): it scans the whole filtered set.
    """
    rows, total, following = await _fetch(
        session, statement, page, sort, sortable, tiebreaker
    )
    return Fetched([row[0] for row in rows], total, following)


async def fetch_rows(
    session: AsyncSession,
    statement: Select[Any],
    *,
    page: PageParams,
    sort: SortSpec,
    sortable: Mapping[str, Sortable],
    tiebreaker: InstrumentedAttribute[Any],
) -> Fetched[dict[str, Any]]:
    """`fetch_page` for a statement of columns: each row a plain dict of them.

    Several times cheaper than entities when the rows are only read and
    serialised (no identity map), and a dict is validated natively by pydantic
    where a RowMapping is checked against the Mapping ABC field by field.
    """
    rows, total, following = await _fetch(
        session, statement, page, sort, sortable, tiebreaker
    )
    if not rows:
        return Fetched([], total, following)
    names = rows[0]._fields[:-KEYSET_COLUMNS]
    items = [dict(zip(names, row[:-KEYSET_COLUMNS], strict=True)) for row in rows]
    return Fetched(items, total, following)
