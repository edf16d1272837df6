"""Items: who may see which, the list query, and the writes (flush, never commit).

Everyone sees and changes their own items; a permission widens that to
everyone's: `items:read_any` to read and filter, `items:update_any` to change,
`items:delete_any` to delete (superusers hold every permission). Another
user's item is a 404 to those without the permission, so ids leak nothing.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.authz.access import Access
from app.core.errors import Forbidden, NotFound
from app.db.listing import (
    CreatedRange,
    PageParams,
    SortSpec,
    contains_text,
    fetch_page,
)
from app.models import Item, User
from app.models.item import ItemPermission
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
    """A user without `items:read_any` asked for another user's items."""


@dataclass(frozen=True, slots=True)
class ItemFilters:
    owner_id: uuid.UUID | None = None
    search: str | None = None
    created: CreatedRange = field(default_factory=CreatedRange)


async def listed_owner(
    access: Access, requested_owner_id: uuid.UUID | None
) -> uuid.UUID | None:
    """Whose items are listed: with `items:read_any` anyone's (None: all), else
    the user's own.

    Without the permission a user may pass their own id; anyone else's is
    refused rather than silently replaced, so a client bug shows up instead of
    a misleading page.
    """
    if await access.has(ItemPermission.READ_ANY):
        return requested_owner_id
    user_id = access.user.id
    if requested_owner_id is not None and requested_owner_id != user_id:
        raise OwnerFilterForbidden()
    return user_id


def list_statement(filters: ItemFilters) -> Select[Any]:
    """The filtered items as plain rows of columns (see `fetch_page`)."""
    conditions: list[ColumnElement[bool]] = filters.created.conditions(Item.created_at)
    if filters.owner_id is not None:
        conditions.append(Item.owner_id == filters.owner_id)
    if filters.search is not None:
        conditions.append(contains_text(SEARCHED_FIELDS, filters.search))
    return select(*Item.__table__.columns).where(*conditions)


async def list_items(
    session: AsyncSession, filters: ItemFilters, *, page: PageParams, sort: SortSpec
) -> tuple[list[dict[str, Any]], int]:
    """A page of items as plain dicts of their columns (id, title, owner_id...).

    Plain dicts because pydantic validates them natively, where a RowMapping is
    checked against the Mapping ABC in Python, field by field.
    """
    rows, total = await fetch_page(
        session,
        list_statement(filters),
        page=page,
        sort=sort,
        sortable=SORTABLE_FIELDS,
        tiebreaker=Item.id,
        scalars=False,
    )
    names = rows[0]._fields if rows else ()
    return [dict(zip(names, row, strict=True)) for row in rows], total


async def get_item_for(
    session: AsyncSession, item_id: uuid.UUID, access: Access, any_of: ItemPermission
) -> Item:
    """The item if the user owns it or holds `any_of`; otherwise `ItemNotFound`.

    The permission is only looked up for another user's item.
    """
    item = await session.get(Item, item_id)
    if item is None:
        raise ItemNotFound()
    if item.owner_id != access.user.id and not await access.has(any_of):
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
