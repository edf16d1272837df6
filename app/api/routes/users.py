"""Users: superuser administration and the current user's own account.

Every write goes through fastapi-users' `UserManager` (see `app.services.users`);
the routes replace fastapi-users' users router to enforce gatehouse's rules and
keep its paths, statuses and error codes. `/users/me...` and `/users/bulk` are
declared before `/users/{user_id}` so they are matched first.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, status

from app.api.deps import CurrentSuperuser, CurrentUser, SessionDep, UserManagerDep
from app.api.listing import (
    CreatedRangeDep,
    PageParamsDep,
    SearchDep,
    sort_dependency,
)
from app.api.rate_limits import RATE_LIMIT_RESPONSES, enforce_password_change_limit
from app.models import User
from app.schemas.common import ErrorRead, Page
from app.schemas.user import (
    AccountDeletion,
    PasswordChange,
    UserCreate,
    UserRead,
    UserSelfUpdate,
    UserUpdate,
)
from app.services import users as users_service
from app.services.listing import SortSpec
from app.services.users import DEFAULT_SORT, MAX_BULK_USERS, SORT_FIELDS, UserFilters

router = APIRouter(prefix="/users", tags=["users"])

Responses = dict[int | str, dict[str, Any]]


def _error(status_code: int, description: str) -> Responses:
    return {status_code: {"model": ErrorRead, "description": description}}


UNAUTHORIZED = _error(
    status.HTTP_401_UNAUTHORIZED, "Missing or invalid token, or inactive user."
)
SUPERUSERS_ONLY = {
    **UNAUTHORIZED,
    **_error(status.HTTP_403_FORBIDDEN, "Not a superuser."),
}
USER_NOT_FOUND = _error(
    status.HTTP_404_NOT_FOUND, "No such user (or not a valid user id)."
)
INVALID_CURRENT_PASSWORD = "`INVALID_CURRENT_PASSWORD`: wrong or missing password."
UPDATE_REFUSED = (
    "`UPDATE_USER_EMAIL_ALREADY_EXISTS`: the email is taken (in any case); or "
    '`{"code": "UPDATE_USER_INVALID_PASSWORD", "reason": ...}`: the new password '
    "fails the policy."
)
LAST_SUPERUSER = "`LAST_SUPERUSER`: it would leave no active superuser."

UserSortDep = Annotated[
    SortSpec, Depends(sort_dependency(list(SORT_FIELDS), DEFAULT_SORT))
]


async def get_user_or_404(
    user_id: str, _: CurrentSuperuser, manager: UserManagerDep
) -> User:
    """The path's user, for superusers only (401/403 come before the 404).

    Like fastapi-users, an id that is not a UUID is simply not found.
    """
    user = await users_service.find_user(manager, user_id)
    if user is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
    return user


TargetUser = Annotated[User, Depends(get_user_or_404)]


# --- the collection (superusers) --------------------------------------------


@router.get("", response_model=Page[UserRead], responses=SUPERUSERS_ONLY)
async def list_users(
    session: SessionDep,
    _: CurrentSuperuser,
    page: PageParamsDep,
    sort: UserSortDep,
    search: SearchDep,
    created: CreatedRangeDep,
    is_active: Annotated[bool | None, Query()] = None,
    is_superuser: Annotated[bool | None, Query()] = None,
    is_verified: Annotated[bool | None, Query()] = None,
) -> Page[UserRead]:
    """All users, newest first unless `sort` says else; `q` searches email and name."""
    created_after, created_before = created
    filters = UserFilters(
        is_active=is_active,
        is_superuser=is_superuser,
        is_verified=is_verified,
        search=search,
        created_after=created_after,
        created_before=created_before,
    )
    users, total = await users_service.list_users(session, filters, page, sort)
    return Page[UserRead](
        items=[UserRead.model_validate(user) for user in users],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        **SUPERUSERS_ONLY,
        **_error(
            status.HTTP_400_BAD_REQUEST,
            '`{"code": "CREATE_USER_INVALID_PASSWORD", "reason": ...}`: the '
            "password fails the policy.",
        ),
        **_error(
            status.HTTP_409_CONFLICT,
            "`USER_ALREADY_EXISTS`: the email is taken (in any case).",
        ),
    },
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
    responses={
        **SUPERUSERS_ONLY,
        **_error(
            status.HTTP_400_BAD_REQUEST,
            '`{"code": "BULK_CREATE_INVALID_PASSWORD", "entries": [{"index", '
            '"email", "reason"}]}`: these entries\' passwords fail the policy.',
        ),
        **_error(
            status.HTTP_409_CONFLICT,
            '`{"code": "USERS_ALREADY_EXIST", "emails": [...], "entries": '
            '[{"index", "email", "reason"}]}`: emails already registered '
            "(`ALREADY_EXISTS`) or repeated in the request (`DUPLICATE_IN_REQUEST`), "
            "compared case-insensitively.",
        ),
    },
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


# --- the current user's account ---------------------------------------------


@router.get("/me", response_model=UserRead, responses=UNAUTHORIZED)
async def read_me(user: CurrentUser) -> User:
    return user


@router.patch(
    "/me",
    response_model=UserRead,
    responses={
        **UNAUTHORIZED,
        **_error(
            status.HTTP_400_BAD_REQUEST, f"{INVALID_CURRENT_PASSWORD} {UPDATE_REFUSED}"
        ),
        **RATE_LIMIT_RESPONSES,
    },
)
async def update_me(
    request: Request,
    user: CurrentUser,
    manager: UserManagerDep,
    changes: UserSelfUpdate,
) -> User:
    """Change your own email, name or password.

    A new password needs `current_password`. A new email makes the account
    unverified and sends a verification email to it. `is_active`,
    `is_superuser` and `is_verified` are ignored.
    """
    if changes.password is not None:
        await enforce_password_change_limit(request, user)
    return await users_service.update_own_account(manager, user, changes, request)


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **UNAUTHORIZED,
        **_error(status.HTTP_400_BAD_REQUEST, INVALID_CURRENT_PASSWORD),
        **_error(status.HTTP_409_CONFLICT, LAST_SUPERUSER),
    },
)
async def delete_me(
    request: Request, user: CurrentUser, manager: UserManagerDep, data: AccountDeletion
) -> None:
    """Delete your own account and everything it owns, confirmed by your password."""
    await users_service.delete_own_account(
        manager, user, data.current_password, request
    )


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **UNAUTHORIZED,
        **_error(
            status.HTTP_400_BAD_REQUEST,
            f"{INVALID_CURRENT_PASSWORD} "
            '`{"code": "UPDATE_USER_INVALID_PASSWORD", "reason": ...}`: the new '
            "password fails the policy.",
        ),
        **RATE_LIMIT_RESPONSES,
    },
)
async def change_my_password(
    request: Request, user: CurrentUser, manager: UserManagerDep, data: PasswordChange
) -> None:
    await enforce_password_change_limit(request, user)
    await users_service.change_password(
        manager, user, data.current_password, data.new_password, request
    )


# --- one user (superusers) ---------------------------------------------------


@router.get(
    "/{user_id}",
    response_model=UserRead,
    responses={**SUPERUSERS_ONLY, **USER_NOT_FOUND},
)
async def read_user(target: TargetUser) -> User:
    return target


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses={
        **SUPERUSERS_ONLY,
        **USER_NOT_FOUND,
        **_error(status.HTTP_400_BAD_REQUEST, UPDATE_REFUSED),
        **_error(
            status.HTTP_409_CONFLICT,
            "`CANNOT_DEACTIVATE_SELF`: use another superuser account. "
            + LAST_SUPERUSER,
        ),
    },
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
    responses={
        **SUPERUSERS_ONLY,
        **USER_NOT_FOUND,
        **_error(
            status.HTTP_409_CONFLICT,
            f"`CANNOT_DELETE_SELF`: use `DELETE /users/me`. {LAST_SUPERUSER}",
        ),
    },
)
async def delete_user(
    request: Request,
    actor: CurrentSuperuser,
    target: TargetUser,
    manager: UserManagerDep,
) -> None:
    """Delete a user and everything they own."""
    await users_service.delete_user(manager, actor, target, request)
