"""The page every list endpoint answers with."""

from collections.abc import Sequence

from pydantic import BaseModel

from app.db.listing import PageParams


class Page[ItemT](BaseModel):
    """The envelope of every list endpoint."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[ItemT], total: int, page: PageParams) -> "Page[ItemT]":
        """The page of `items` (already validated) out of `total` matching rows."""
        return cls.model_construct(
            items=list(items), total=total, limit=page.limit, offset=page.offset
        )
