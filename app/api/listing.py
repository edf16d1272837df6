"""The listing contract shared by every list endpoint: paging, sorting, search.

- `limit` 1..100 (default 20); `cursor`: the previous page's `next_cursor`
  (keyset pagination: every page costs what the first does); `count=exact`
  adds `total`;
- `sort` is one whitelisted field, `-` prefix for descending, ties broken by id;
- `q` is a case-insensitive substring search with `%` and `_` taken literally.

Routes declare `PageParamsDep`, a sort dependency made by `sort_dependency(...)`
and `SearchDep`, then hand them to `app.db.listing.fetch_page` (or `fetch_rows`),
and answer with `Page.of(...)`.
"""

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BeforeValidator

from app.db.cursors import MAX_CURSOR_LENGTH, CursorCodec
from app.db.listing import CreatedRange, PageParams, SortSpec, as_utc

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_SEARCH_LENGTH = 200


def get_cursor_codec(request: Request) -> CursorCodec:
    """The app's cursor codec, keyed from its SECRET_KEY (made once per app)."""
    state = request.app.state
    codec: CursorCodec | None = getattr(state, "cursor_codec", None)
    if codec is None:
        codec = state.cursor_codec = CursorCodec(state.settings.secret("SECRET_KEY"))
    return codec


CursorCodecDep = Annotated[CursorCodec, Depends(get_cursor_codec)]


async def page_params(
    codec: CursorCodecDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            description="The `next_cursor` of the previous page (with the same "
            "`sort` and filters); absent for the first page.",
        ),
    ] = None,
    count: Annotated[
        Literal["exact"] | None,
        Query(
            description="`exact`: also count the whole filtered set (`total`); "
            "it reads every matching row, so ask only when it is shown.",
        ),
    ] = None,
) -> PageParams:
    after = None if cursor is None else codec.decode(cursor)
    return PageParams(
        limit=limit, after=after, exact_count=count == "exact", cursors=codec
    )


PageParamsDep = Annotated[PageParams, Depends(page_params)]


async def search_param(
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_SEARCH_LENGTH,
            description="Case-insensitive substring search.",
        ),
    ] = None,
) -> str | None:
    return q


SearchDep = Annotated[str | None, Depends(search_param)]


def _in_utc(moment: datetime | None) -> datetime | None:
    """Zone-less times are UTC; times without a UTC equivalent are refused.

    Year 1 at +14:00 or year 9999 at -14:00 would overflow deep in the query.
    """
    if moment is None:
        return None
    try:
        return as_utc(moment).astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("must fall within years 1 to 9999 in UTC") from exc


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _not_a_timestamp(moment: object) -> object:
    """Pydantic would read a number as Unix time; the schema promises date-time."""
    if isinstance(moment, int | float) or (
        isinstance(moment, str) and _NUMBER.fullmatch(moment.strip())
    ):
        raise ValueError("must be an ISO 8601 date-time, not a number")
    return moment


UtcMoment = Annotated[
    datetime | None, BeforeValidator(_not_a_timestamp), AfterValidator(_in_utc)
]


async def created_range(
    created_after: Annotated[
        UtcMoment, Query(description="Only rows created at or after this time.")
    ] = None,
    created_before: Annotated[
        UtcMoment, Query(description="Only rows created before this time.")
    ] = None,
) -> CreatedRange:
    return CreatedRange(after=created_after, before=created_before)


CreatedRangeDep = Annotated[CreatedRange, Depends(created_range)]


def sort_dependency(fields: Sequence[str], default: str) -> Callable[..., object]:
    """A `sort` query dependency accepting `field` or `-field` for `fields` only."""
    choices = [option for field in fields for option in (field, f"-{field}")]
    assert default in choices

    async def sort_param(
        sort: Annotated[
            str,
            Query(
                description="Sort field; prefix with `-` for descending.",
                json_schema_extra={"enum": choices},
            ),
        ] = default,
    ) -> SortSpec:
        if sort not in choices:
            raise RequestValidationError(
                [
                    {
                        "type": "enum",
                        "loc": ("query", "sort"),
                        "msg": f"Input should be one of: {', '.join(choices)}",
                        "input": sort,
                        "ctx": {"expected": ", ".join(choices)},
                    }
                ]
            )
        return SortSpec(field=sort.lstrip("-"), descending=sort.startswith("-"))

    return sort_param
