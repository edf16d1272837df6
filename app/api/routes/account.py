"""The current user's own account: read and change it, change the password, delete it.

Declared under `/users/me` and included before the users router, so `me` is
never taken for a user id.
"""

from contextlib import nullcontext

from fastapi import APIRouter, Request, status

from app.api.deps import (
    AUTHENTICATED,
    CurrentAccessSession,
    CurrentUser,
    MfaContextDep,
    SessionDep,
    UserManagerDep,
)
from app.api.rate_limits import enforce_password_change_limit, second_factor_attempt
from app.api.responses import raises
from app.api.user_reads import user_read
from app.auth.errors import UpdateUserEmailAlreadyExists, UpdateUserInvalidPassword
from app.core.errors import TooManyRequests
from app.mfa.errors import MfaCodeInvalid, MfaCodeRequired
from app.schemas.user import (
    AccountDeletion,
    MeRead,
    PasswordChange,
    UserAccountRead,
    UserRead,
    UserSelfUpdate,
)
from app.services import account as account_service
from app.services import profile as profile_service
from app.services.user_errors import InvalidCurrentPassword, LastSuperuser

router = APIRouter(prefix="/users/me", tags=["users"])


@router.get("", response_model=MeRead, responses=raises(*AUTHENTICATED))
async def read_me(session: SessionDep, user: CurrentUser) -> MeRead:
    """Your account, with your roles and effective permissions (for the SPA to
    show or hide its UI; the API checks them itself), and whether two-factor
    authentication is on."""
    own = await profile_service.own_account(session, user)
    return MeRead(
        **dict(UserAccountRead.model_validate(user)),
        roles=own.access.roles,
        permissions=own.access.permissions,
        mfa_enabled=own.mfa.enabled,
        recovery_codes_left=own.mfa.recovery_codes_left,
    )


@router.patch(
    "",
    response_model=UserRead,
    responses=raises(
        *AUTHENTICATED,
        InvalidCurrentPassword,
        UpdateUserEmailAlreadyExists,
        UpdateUserInvalidPassword,
        MfaCodeRequired,
        MfaCodeInvalid,
        TooManyRequests,
    ),
)
async def update_me(
    request: Request,
    session: SessionDep,
    access: CurrentAccessSession,
    manager: UserManagerDep,
    mfa: MfaContextDep,
    changes: UserSelfUpdate,
) -> UserRead:
    """Change your own email, name or password.

    A new password or a new email needs `current_password`, and with
    two-factor authentication on also `mfa_code`. A new email makes
    the account unverified, sends a verification email to it and a notice to
    the old address, and signs out every other session. `is_active`,
    `is_superuser` and `is_verified` are ignored.
    """
    if changes.password is not None:
        await enforce_password_change_limit(request, access.user)
    # Only a sent code can be a wrong one (a failed login for the rate limit).
    guard = (
        second_factor_attempt(request, access.user)
        if changes.mfa_code is not None
        else nullcontext()
    )
    async with guard:
        user = await account_service.update_own_account(
            manager,
            access.user,
            changes,
            session_id=access.session_id,
            mfa=mfa,
            request=request,
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
        MfaCodeRequired,
        MfaCodeInvalid,
        TooManyRequests,
    ),
)
async def change_my_password(
    request: Request,
    user: CurrentUser,
    manager: UserManagerDep,
    mfa: MfaContextDep,
    data: PasswordChange,
) -> None:
    """Change your password; every session ends, this one included.

    With two-factor authentication on, `mfa_code` is required too.
    """
    await enforce_password_change_limit(request, user)
    guard = (
        second_factor_attempt(request, user)
        if data.mfa_code is not None
        else nullcontext()
    )
    async with guard:
        await account_service.change_password(
            manager,
            user,
            data.current_password,
            data.new_password,
            mfa=mfa,
            mfa_code=data.mfa_code,
            request=request,
        )
