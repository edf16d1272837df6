"""Items: each belongs to one user; `items:*_any` permissions widen that to all."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.api.deps import AUTHENTICATED, AccessDep, CurrentUser, SessionDep
from app.api.listing import CreatedRangeDep, PageParamsDep, SearchDep, sort_dependency
from app.api.responses import raises
from app.db.listing import SortSpec
from app.models import Item
from app.models.item import ItemPermission
from app.schemas.item import ITEM_LIST, ItemCreate, ItemRead, ItemUpdate
from app.schemas.listing import Page
from app.services import items as items_service
from app.services.items import (
    DEFAULT_SORT,
    SORTABLE_FIELDS,
    ItemFilters,
    ItemNotFound,
    OwnerFilterForbidden,
)

router = APIRouter(prefix="/items", tags=["items"])

ItemSortDep = Annotated[
    SortSpec, Depends(sort_dependency(list(SORTABLE_FIELDS), DEFAULT_SORT))
]


async def item_filters(
    access: AccessDep,
    search: SearchDep,
    created: CreatedRangeDep,
    owner_id: Annotated[
        uuid.UUID | None,
        Query(
            description="With `items:read_any`: only this user's items. Others "
            "always get their own items and may only pass their own id (else 403)."
        ),
    ] = None,
) -> ItemFilters:
    return ItemFilters(
        owner_id=await items_service.listed_owner(access, owner_id),
        search=search,
        created=created,
    )


ItemFiltersDep = Annotated[ItemFilters, Depends(item_filters)]


def item_for(any_of: ItemPermission) -> Callable[..., Awaitable[Item]]:
    """A dependency: the path's item, if the current user owns it or holds
    `any_of`; else 404."""

    async def get_item(
        item_id: uuid.UUID, session: SessionDep, access: AccessDep
    ) -> Item:
        return await items_service.get_item_for(session, item_id, access, any_of)

    return get_item


ReadableItem = Annotated[Item, Depends(item_for(ItemPermission.READ_ANY))]
UpdatableItem = Annotated[Item, Depends(item_for(ItemPermission.UPDATE_ANY))]
DeletableItem = Annotated[Item, Depends(item_for(ItemPermission.DELETE_ANY))]


@router.get(
    "",
    response_model=Page[ItemRead],
    responses=raises(*AUTHENTICATED, OwnerFilterForbidden),
)
async def list_items(
    session: SessionDep,
    page: PageParamsDep,
    sort: ItemSortDep,
    filters: ItemFiltersDep,
) -> Page[ItemRead]:
    """Your items (with `items:read_any`: everyone's), newest first unless `sort`
    says else.

    `q` searches title and description.
    """
    items, total = await items_service.list_items(
        session, filters, page=page, sort=sort
    )
    return Page[ItemRead].of(ITEM_LIST.validate_python(items), total, page)


@router.post(
    "",
    response_model=ItemRead,
    status_code=status.HTTP_201_CREATED,
    responses=raises(*AUTHENTICATED),
)
async def create_item(session: SessionDep, user: CurrentUser, data: ItemCreate) -> Item:
    """Create an item owned by the current user."""
    return await items_service.create_item(session, data, user)


@router.get(
    "/{item_id}",
    response_model=ItemRead,
    responses=raises(*AUTHENTICATED, ItemNotFound),
)
async def read_item(item: ReadableItem) -> Item:
    return item


@router.patch(
    "/{item_id}",
    response_model=ItemRead,
    responses=raises(*AUTHENTICATED, ItemNotFound),
)
async def update_item(
    session: SessionDep, item: UpdatableItem, changes: ItemUpdate
) -> Item:
    """Change the fields sent; `description: null` clears it, `title` cannot be null."""
    return await items_service.update_item(session, item, changes)


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(*AUTHENTICATED, ItemNotFound),
)
async def delete_item(session: SessionDep, item: DeletableItem) -> None:
    await items_service.delete_item(session, item)
