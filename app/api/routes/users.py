"""Users: administration, by permission (`users:read`, `users:manage`).

Every write goes through fastapi-users' `UserManager` (see `app.services.users`);
the routes replace fastapi-users' users router to enforce gatehouse's rules and
keep its paths, statuses and error codes. `/users/bulk` is declared before
`/users/{user_id}` so it is matched first; `/users/me...` is `account.py`,
included before this router.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, status

from app.api.deps import (
    PERMISSION_REQUIRED,
    ActorDep,
    CanManageUsers,
    CanReadUsers,
    CurrentUser,
    MfaContextDep,
    SessionDep,
    UserManagerDep,
)
from app.api.listing import CreatedRangeDep, PageParamsDep, SearchDep, sort_dependency
from app.api.responses import raises
from app.api.user_reads import user_read, user_reads
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
    role: Annotated[
        str | None, Query(max_length=64, description="Only holders of this role.")
    ] = None,
) -> UserFilters:
    return UserFilters(
        is_active=is_active,
        is_superuser=is_superuser,
        is_verified=is_verified,
        search=search,
        created=created,
        role=role,
    )


UserFiltersDep = Annotated[UserFilters, Depends(user_filters)]


async def get_user_or_404(
    user_id: str, _: CurrentUser, manager: UserManagerDep
) -> User:
    """The path's user. Routes declare their permission before it, so 401 and
    403 come before the 404.

    Like fastapi-users, an id that is not a UUID is simply not found.
    """
    user = await users_service.find_user(manager, user_id)
    if user is None:
        raise UserNotFound()
    return user


TargetUser = Annotated[User, Depends(get_user_or_404)]


# --- the collection -----------------------------------------------------------


@router.get("", response_model=Page[UserRead], responses=raises(*PERMISSION_REQUIRED))
async def list_users(
    session: SessionDep,
    _: CanReadUsers,
    page: PageParamsDep,
    sort: UserSortDep,
    filters: UserFiltersDep,
) -> Page[UserRead]:
    """All users, newest first unless `sort` says else; `q` searches email and name.

    `role` lists the holders of a role.
    """
    users, total = await users_service.list_users(session, filters, page, sort)
    return Page[UserRead].of(await user_reads(session, users), total, page)


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=raises(
        *PERMISSION_REQUIRED, CreateUserInvalidPassword, UserAlreadyExists
    ),
)
async def create_user(
    request: Request,
    session: SessionDep,
    _: CanManageUsers,
    actor: ActorDep,
    manager: UserManagerDep,
    data: UserCreate,
) -> UserRead:
    """Create a user; `is_active`, `is_superuser` and `is_verified` apply.

    Only a superuser may send `is_superuser` (else 403). An unverified user is
    sent a verification email.
    """
    users_service.ensure_may_set_privileges(actor, data)
    user = await users_service.create_user(manager, data, request)
    return await user_read(session, user)


@router.post(
    "/bulk",
    response_model=list[UserRead],
    status_code=status.HTTP_201_CREATED,
    responses=raises(*PERMISSION_REQUIRED, BulkPasswordsRejected, BulkEmailsConflict),
)
async def create_users(
    request: Request,
    session: SessionDep,
    _: CanManageUsers,
    actor: ActorDep,
    manager: UserManagerDep,
    entries: Annotated[
        list[UserCreate],
        Body(
            min_length=1,
            max_length=MAX_BULK_USERS,
            description=f"1 to {MAX_BULK_USERS} users, each as for `POST /users`.",
        ),
    ],
) -> list[UserRead]:
    """Create up to 100 users at once: all of them, or none.

    Errors name every refused entry by its index. Verification emails go out
    only once the whole batch is stored. Only a superuser may send
    `is_superuser` in any entry (else 403).
    """
    for entry in entries:
        users_service.ensure_may_set_privileges(actor, entry)
    users = await users_service.create_users(manager, entries, request)
    return await user_reads(session, users)


# --- one user -------------------------------------------------------------------


@router.get(
    "/{user_id}",
    response_model=UserRead,
    responses=raises(*PERMISSION_REQUIRED, UserNotFound),
)
async def read_user(
    session: SessionDep, _: CanReadUsers, target: TargetUser
) -> UserRead:
    return await user_read(session, target)


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses=raises(
        *PERMISSION_REQUIRED,
        UserNotFound,
        UpdateUserEmailAlreadyExists,
        UpdateUserInvalidPassword,
        CannotDeactivateSelf,
        LastSuperuser,
    ),
)
async def update_user(
    request: Request,
    session: SessionDep,
    user: CanManageUsers,
    actor: ActorDep,
    target: TargetUser,
    manager: UserManagerDep,
    changes: UserUpdate,
) -> UserRead:
    """Change any field of a user, privilege flags included.

    Only a superuser may send `is_superuser`, or change a superuser; others
    may change only users whose permissions they all hold (else 403).
    """
    users_service.ensure_may_set_privileges(actor, changes)
    await users_service.ensure_may_manage(session, actor, target)
    updated = await users_service.update_user(manager, user, target, changes, request)
    return await user_read(session, updated)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(
        *PERMISSION_REQUIRED, UserNotFound, CannotDeleteSelf, LastSuperuser
    ),
)
async def delete_user(
    request: Request,
    session: SessionDep,
    user: CanManageUsers,
    actor: ActorDep,
    target: TargetUser,
    manager: UserManagerDep,
) -> None:
    """Delete a user and everything they own (the same rules as for a change)."""
    await users_service.ensure_may_manage(session, actor, target)
    await users_service.delete_user(manager, user, target, request)


@router.delete(
    "/{user_id}/mfa",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(*PERMISSION_REQUIRED, UserNotFound, MfaNotEnabled),
)
async def reset_user_mfa(
    session: SessionDep,
    user: CanManageUsers,
    actor: ActorDep,
    target: TargetUser,
    ctx: MfaContextDep,
) -> None:
    """Turn a user's two-factor authentication off (a lost phone and lost
    recovery codes): their authenticator and recovery codes are deleted, the
    user is emailed, and the reset is audited (`users:manage`, with the same
    rules as for a change)."""
    await users_service.ensure_may_manage(session, actor, target)
    await mfa_service.reset(session, target, ctx, actor_id=user.id)
