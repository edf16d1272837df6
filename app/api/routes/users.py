"""Users: superuser administration.

Every write goes through fastapi-users' `UserManager` (see `app.services.users`);
the routes replace fastapi-users' users router to enforce gatehouse's rules and
keep its paths, statuses and error codes. `/users/bulk` is declared before
`/users/{user_id}` so it is matched first; `/users/me...` is `account.py`,
included before this router.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, status

from app.api.deps import (
    SUPERUSER,
    CurrentSuperuser,
    MfaContextDep,
    SessionDep,
    UserManagerDep,
)
from app.api.listing import CreatedRangeDep, PageParamsDep, SearchDep, sort_dependency
from app.api.responses import raises
from app.auth.errors import UpdateUserEmailAlreadyExists, UpdateUserInvalidPassword
from app.db.listing import SortSpec
from app.mfa import service as mfa_service
from app.mfa.errors import MfaNotEnabled
from app.models import User
from app.schemas.listing import Page
from app.schemas.user import (
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.services import users as users_service
from app.services.user_errors import (
    BulkEmailsConflict,
    BulkPasswordsRejected,
    CannotDeactivateSelf,
    CannotDeleteSelf,
    CreateUserInvalidPassword,
    LastSuperuser,
    UserAlreadyExists,
    UserNotFound,
)
from app.services.users import DEFAULT_SORT, MAX_BULK_USERS, SORT_FIELDS, UserFilters

router = APIRouter(prefix="/users", tags=["users"])

UserSortDep = Annotated[
    SortSpec, Depends(sort_dependency(list(SORT_FIELDS), DEFAULT_SORT))
]


async def user_filters(
    search: SearchDep,
    created: CreatedRangeDep,
    is_active: Annotated[bool | None, Query()] = None,
    is_superuser: Annotated[bool | None, Query()] = None,
    is_verified: Annotated[bool | None, Query()] = None,
) -> UserFilters:
    return UserFilters(
        is_active=is_active,
        is_superuser=is_superuser,
        is_verified=is_verified,
        search=search,
        created=created,
    )


UserFiltersDep = Annotated[UserFilters, Depends(user_filters)]


async def get_user_or_404(
    user_id: str, _: CurrentSuperuser, manager: UserManagerDep
) -> User:
    """The path's user, for superusers only (401/403 come before the 404).

    Like fastapi-users, an id that is not a UUID is simply not found.
    """
    user = await users_service.find_user(manager, user_id)
    if user is None:
        raise UserNotFound()
    return user


TargetUser = Annotated[User, Depends(get_user_or_404)]


# --- the collection (superusers) --------------------------------------------


@router.get("", response_model=Page[UserRead], responses=raises(*SUPERUSER))
async def list_users(
    session: SessionDep,
    _: CurrentSuperuser,
    page: PageParamsDep,
    sort: UserSortDep,
    filters: UserFiltersDep,
) -> Page[UserRead]:
    """All users, newest first unless `sort` says else; `q` searches email and name."""
    users, total = await users_service.list_users(session, filters, page, sort)
    return Page[UserRead].of([UserRead.model_validate(u) for u in users], total, page)


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=raises(*SUPERUSER, CreateUserInvalidPassword, UserAlreadyExists),
)
async def create_user(
    request: Request, _: CurrentSuperuser, manager: UserManagerDep, data: UserCreate
) -> User:
    """Create a user; `is_active`, `is_superuser` and `is_verified` apply.

    An unverified user is sent a verification email.
    """
    return await users_service.create_user(manager, data, request)


@router.post(
    "/bulk",
    response_model=list[UserRead],
    status_code=status.HTTP_201_CREATED,
    responses=raises(*SUPERUSER, BulkPasswordsRejected, BulkEmailsConflict),
)
async def create_users(
    request: Request,
    _: CurrentSuperuser,
    manager: UserManagerDep,
    entries: Annotated[
        list[UserCreate],
        Body(
            min_length=1,
            max_length=MAX_BULK_USERS,
            description=f"1 to {MAX_BULK_USERS} users, each as for `POST /users`.",
        ),
    ],
) -> list[User]:
    """Create up to 100 users at once: all of them, or none.

    Errors name every refused entry by its index. Verification emails go out
    only once the whole batch is stored.
    """
    return await users_service.create_users(manager, entries, request)


# --- one user (superusers) ---------------------------------------------------


@router.get(
    "/{user_id}", response_model=UserRead, responses=raises(*SUPERUSER, UserNotFound)
)
async def read_user(target: TargetUser) -> User:
    return target


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses=raises(
        *SUPERUSER,
        UserNotFound,
        UpdateUserEmailAlreadyExists,
        UpdateUserInvalidPassword,
        CannotDeactivateSelf,
        LastSuperuser,
    ),
)
async def update_user(
    request: Request,
    actor: CurrentSuperuser,
    target: TargetUser,
    manager: UserManagerDep,
    changes: UserUpdate,
) -> User:
    """Change any field of a user, privilege flags included."""
    return await users_service.update_user(manager, actor, target, changes, request)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(*SUPERUSER, UserNotFound, CannotDeleteSelf, LastSuperuser),
)
async def delete_user(
    request: Request,
    actor: CurrentSuperuser,
    target: TargetUser,
    manager: UserManagerDep,
) -> None:
    """Delete a user and everything they own."""
    await users_service.delete_user(manager, actor, target, request)


@router.delete(
    "/{user_id}/mfa",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(*SUPERUSER, UserNotFound, MfaNotEnabled),
)
async def reset_user_mfa(
    actor: CurrentSuperuser,
    target: TargetUser,
    session: SessionDep,
    ctx: MfaContextDep,
) -> None:
    """Turn a user's two-factor authentication off (a lost phone and lost
    recovery codes): their authenticator and recovery codes are deleted, the
    user is emailed, and the reset is audited."""
    await mfa_service.reset(session, target, ctx, actor_id=actor.id)
