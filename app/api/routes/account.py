"""The current user's own account: read and change it, change the password, delete it.

Declared under `/users/me` and included before the users router, so `me` is
never taken for a user id.
"""

from fastapi import APIRouter, Request, status

from app.api.deps import (
    AUTHENTICATED,
    CurrentAccessSession,
    CurrentUser,
    SessionDep,
    UserManagerDep,
)
from app.api.rate_limits import enforce_password_change_limit
from app.api.responses import raises
from app.api.user_reads import user_read
from app.auth.errors import UpdateUserEmailAlreadyExists, UpdateUserInvalidPassword
from app.core.errors import TooManyRequests
from app.schemas.user import AccountDeletion, PasswordChange, UserRead, UserSelfUpdate
from app.services import account as account_service
from app.services.user_errors import InvalidCurrentPassword, LastSuperuser

router = APIRouter(prefix="/users/me", tags=["users"])


@router.get("", response_model=UserRead, responses=raises(*AUTHENTICATED))
async def read_me(session: SessionDep, user: CurrentUser) -> UserRead:
    """Your account, with your roles and effective permissions (for the SPA to
    show or hide its UI; the API checks them itself)."""
    return await user_read(session, user)


@router.patch(
    "",
    response_model=UserRead,
    responses=raises(
        *AUTHENTICATED,
        InvalidCurrentPassword,
        UpdateUserEmailAlreadyExists,
        UpdateUserInvalidPassword,
        TooManyRequests,
    ),
)
async def update_me(
    request: Request,
    session: SessionDep,
    access: CurrentAccessSession,
    manager: UserManagerDep,
    changes: UserSelfUpdate,
) -> UserRead:
    """Change your own email, name or password.

    A new password or a new email needs `current_password`. A new email makes
    the account unverified, sends a verification email to it and a notice to
    the old address, and signs out every other session. `is_active`,
    `is_superuser` and `is_verified` are ignored.
    """
    if changes.password is not None:
        await enforce_password_change_limit(request, access.user)
    user = await account_service.update_own_account(
        manager, access.user, changes, session_id=access.session_id, request=request
    )
    return await user_read(session, user)


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(*AUTHENTICATED, InvalidCurrentPassword, LastSuperuser),
)
async def delete_me(
    request: Request, user: CurrentUser, manager: UserManagerDep, data: AccountDeletion
) -> None:
    """Delete your own account and everything it owns, confirmed by your password."""
    await account_service.delete_own_account(
        manager, user, data.current_password, request
    )


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(
        *AUTHENTICATED,
        InvalidCurrentPassword,
        UpdateUserInvalidPassword,
        TooManyRequests,
    ),
)
async def change_my_password(
    request: Request, user: CurrentUser, manager: UserManagerDep, data: PasswordChange
) -> None:
    """Change your password; every session ends, this one included."""
    await enforce_password_change_limit(request, user)
    await account_service.change_password(
        manager, user, data.current_password, data.new_password, request
    )
