"""The listing contract shared by every list endpoint: paging, sorting, search.

- `limit` 1..100 (default 20), `offset` >= 0 (default 0);
- `sort` is one whitelisted field, `-` prefix for descending, ties broken by id;
- `q` is a case-insensitive substring search with `%` and `_` taken literally.

Routes declare `PageParamsDep`, a sort dependency made by `sort_dependency(...)`
and `SearchDep`, then hand them to `app.db.listing.fetch_page`.
"""

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BeforeValidator

from app.db.listing import CreatedRange, PageParams, SortSpec, as_utc

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
# Large offsets are slow for any database; far beyond any real page count.
MAX_OFFSET = 1_000_000
MAX_SEARCH_LENGTH = 200


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


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
