"""Items: each belongs to one user; superusers may see and change all of them."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.api.deps import CurrentUser, SessionDep
from app.api.listing import (
    CreatedRangeDep,
    PageParamsDep,
    SearchDep,
    sort_dependency,
)
from app.api.responses import UNAUTHORIZED, Responses
from app.models import Item
from app.schemas.common import ErrorRead, Page
from app.schemas.item import ITEM_LIST, ItemCreate, ItemRead, ItemUpdate
from app.services import items as items_service
from app.services.items import DEFAULT_SORT, SORTABLE_FIELDS, ItemFilters
from app.services.listing import SortSpec

router = APIRouter(prefix="/items", tags=["items"])

ITEM_NOT_FOUND: Responses = {
    status.HTTP_404_NOT_FOUND: {
        "model": ErrorRead,
        "description": "`ITEM_NOT_FOUND`: no such item, or another user's.",
    }
}

ItemSortDep = Annotated[
    SortSpec, Depends(sort_dependency(list(SORTABLE_FIELDS), DEFAULT_SORT))
]


async def get_owned_item(
    item_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> Item:
    """The path's item, if the current user owns it or is a superuser; else 404."""
    return await items_service.get_item_for(session, item_id, user)


OwnedItem = Annotated[Item, Depends(get_owned_item)]


@router.get(
    "",
    response_model=Page[ItemRead],
    responses={
        **UNAUTHORIZED,
        status.HTTP_403_FORBIDDEN: {
            "model": ErrorRead,
            "description": "`OWNER_FILTER_FORBIDDEN`: an ordinary user asked for "
            "another user's items.",
        },
    },
)
async def list_items(
    session: SessionDep,
    user: CurrentUser,
    page: PageParamsDep,
    sort: ItemSortDep,
    search: SearchDep,
    created: CreatedRangeDep,
    owner_id: Annotated[
        uuid.UUID | None,
        Query(
            description="Superusers: only this user's items. Ordinary users always "
            "get their own items and may only pass their own id (else 403)."
        ),
    ] = None,
) -> Page[ItemRead]:
    """Your items (a superuser: everyone's), newest first unless `sort` says else.

    `q` searches title and description.
    """
    created_after, created_before = created
    filters = ItemFilters(
        owner_id=items_service.listed_owner(user, owner_id),
        search=search,
        created_after=created_after,
        created_before=created_before,
    )
    items, total = await items_service.list_items(
        session, filters, page=page, sort=sort
    )
    return Page[ItemRead](
        items=ITEM_LIST.validate_python(items),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "",
    response_model=ItemRead,
    status_code=status.HTTP_201_CREATED,
    responses=UNAUTHORIZED,
)
async def create_item(session: SessionDep, user: CurrentUser, data: ItemCreate) -> Item:
    """Create an item owned by the current user."""
    return await items_service.create_item(session, data, user)


@router.get(
    "/{item_id}", response_model=ItemRead, responses={**UNAUTHORIZED, **ITEM_NOT_FOUND}
)
async def read_item(item: OwnedItem) -> Item:
    return item


@router.patch(
    "/{item_id}", response_model=ItemRead, responses={**UNAUTHORIZED, **ITEM_NOT_FOUND}
)
async def update_item(
    session: SessionDep, item: OwnedItem, changes: ItemUpdate
) -> Item:
    """Change the fields sent; `description: null` clears it, `title` cannot be null."""
    return await items_service.update_item(session, item, changes)


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**UNAUTHORIZED, **ITEM_NOT_FOUND},
)
async def delete_item(session: SessionDep, item: OwnedItem) -> None:
    await items_service.delete_item(session, item)
