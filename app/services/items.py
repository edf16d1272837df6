"""Items: who may see which, the list query, and the writes (flush, never commit)."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import Forbidden, NotFound
from app.db.listing import (
    CreatedRange,
    Fetched,
    PageParams,
    SortSpec,
    contains_text,
    fetch_rows,
)
from app.models import Item, User
from app.schemas.item import ItemCreate, ItemUpdate

SORTABLE_FIELDS: dict[str, InstrumentedAttribute[Any]] = {
    "created_at": Item.created_at,
    "updated_at": Item.updated_at,
    "title": Item.title,
}
DEFAULT_SORT = "-created_at"
SEARCHED_FIELDS = (Item.title, Item.description)


class ItemNotFound(NotFound, code="ITEM_NOT_FOUND"):
    """No such item, or another user's (so ids of others' items leak nothing)."""


class OwnerFilterForbidden(Forbidden, code="OWNER_FILTER_FORBIDDEN"):
    """An ordinary user asked for another user's items."""


@dataclass(frozen=True, slots=True)
class ItemFilters:
    owner_id: uuid.UUID | None = None
    search: str | None = None
    created: CreatedRange = field(default_factory=CreatedRange)


def listed_owner(user: User, requested_owner_id: uuid.UUID | None) -> uuid.UUID | None:
    """Whose items `user` lists: a superuser anyone's (None: all), others their own.

    An ordinary user may pass their own id; anyone else's is refused rather than
    silently replaced, so a client bug shows up instead of a misleading page.
    """
    if user.is_superuser:
        return requested_owner_id
    if requested_owner_id is not None and requested_owner_id != user.id:
        raise OwnerFilterForbidden()
    return user.id


def list_statement(filters: ItemFilters) -> Select[Any]:
    """The filtered items as plain rows of columns (see `fetch_rows`)."""
    conditions: list[ColumnElement[bool]] = filters.created.conditions(Item.created_at)
    if filters.owner_id is not None:
        conditions.append(Item.owner_id == filters.owner_id)
    if filters.search is not None:
        conditions.append(contains_text(SEARCHED_FIELDS, filters.search))
    return select(*Item.__table__.columns).where(*conditions)


async def list_items(
    session: AsyncSession, filters: ItemFilters, *, page: PageParams, sort: SortSpec
) -> Fetched[dict[str, Any]]:
    """A page of items as plain dicts of their columns (id, title, owner_id...)."""
    return await fetch_rows(
        session,
        list_statement(filters),
        page=page,
        sort=sort,
        sortable=SORTABLE_FIELDS,
        tiebreaker=Item.id,
    )


async def get_item_for(session: AsyncSession, item_id: uuid.UUID, user: User) -> Item:
    """The item if `user` owns it or is a superuser; otherwise `ItemNotFound`."""
    item = await session.get(Item, item_id)
    if item is None or not (user.is_superuser or item.owner_id == user.id):
        raise ItemNotFound()
    return item


async def create_item(session: AsyncSession, data: ItemCreate, owner: User) -> Item:
    item = Item(**data.model_dump(), owner_id=owner.id)
    session.add(item)
    await session.flush()  # the timestamps come back with the INSERT (eager_defaults)
    return item


async def update_item(session: AsyncSession, item: Item, changes: ItemUpdate) -> Item:
    for name, value in changes.model_dump(exclude_unset=True).items():
        setattr(item, name, value)
    await session.flush()  # updated_at comes back with the UPDATE (eager_defaults)
    return item


async def delete_item(session: AsyncSession, item: Item) -> None:
    await session.delete(item)
    await session.flush()
