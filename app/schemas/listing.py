"""The page every list endpoint answers with."""

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from app.db.listing import Fetched, PageParams


class Page[ItemT](BaseModel):
    """The envelope of every list endpoint."""

    items: list[ItemT]
    total: int | None = Field(
        description="How many rows match the filters; only with `count=exact` "
        "(null otherwise: counting reads every matching row)."
    )
    limit: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same `sort` and filters) for the "
        "next page; null on the last page."
    )

    @classmethod
    def of(
        cls,
        items: Sequence[ItemT],
        fetched: Fetched[Any],
        page: PageParams,
    ) -> "Page[ItemT]":
        """The page of `items` (already validated) that `fetched` found."""
        return cls.model_construct(
            items=list(items),
            total=fetched.total,
            limit=page.limit,
            next_cursor=page.cursor_after(fetched.next),
        )
