"""Account self-service: a user's own profile, email, password and deletion.

Changing what proves who you are (the email a reset goes to, the password) or
deleting the account needs the current password: a stolen access token alone
must not be enough to take an account over. The password is checked (and a new
one hashed) after the connection the authentication used is handed back: no
transaction waits on Argon2, and on SQLite no writer waits behind it.
"""

import uuid

from fastapi import Request

from app.auth.manager import UserManager
from app.db.session import release_connection
from app.mfa import service as mfa_service
from app.mfa.service import MfaContext
from app.models import User
from app.models.user import normalize_email
from app.schemas.user import UserSelfUpdate, UserUpdate
from app.services.user_errors import InvalidCurrentPassword
from app.services.users import apply_update, ensure_another_superuser_remains
from app.sessions import store


async def update_own_account(
    manager: UserManager,
    user: User,
    changes: UserSelfUpdate,
    *,
    session_id: uuid.UUID,
    mfa: MfaContext,
    request: Request | None = None,
) -> User:
    """A user's update of their own account.

    A new password or a new email needs `current_password` (checked whenever it
    is sent) and, with two-factor authentication on, `mfa_code`. A new email
    ends every other session of the account: whoever else was signed in must
    prove they know the password again.
    """
    changes_email = changes.email is not None and normalize_email(
        changes.email
    ) != normalize_email(user.email)
    if changes.current_password is not None:
        await release_connection(manager.user_db.session)
        await confirm_password(manager, user, changes.current_password)
    elif changes.password is not None or changes_email:
        raise InvalidCurrentPassword()
    if changes.password is not None or changes_email:
        await mfa_service.require_second_factor(
            manager.user_db.session, user, changes.mfa_code, mfa
        )
    fields = changes.model_dump(
        exclude_unset=True, exclude={"current_password", "mfa_code"}
    )
    update = UserUpdate.model_construct(**fields)
    updated = await apply_update(manager, user, update, safe=True, request=request)
    if changes_email:
        await store.revoke_user_sessions(
            manager.user_db.session, user.id, keep=session_id
        )
    return updated


async def change_password(
    manager: UserManager,
    user: User,
    current_password: str,
    new_password: str,
    *,
    mfa: MfaContext,
    mfa_code: str | None = None,
    request: Request | None = None,
) -> None:
    """With two-factor authentication on, `mfa_code` is required too."""
    await release_connection(manager.user_db.session)
    await confirm_password(manager, user, current_password)
    await mfa_service.require_second_factor(
        manager.user_db.session, user, mfa_code, mfa
    )
    update = UserUpdate(password=new_password)
    await apply_update(manager, user, update, safe=True, request=request)


async def delete_own_account(
    manager: UserManager,
    user: User,
    current_password: str,
    request: Request | None = None,
) -> None:
    await release_connection(manager.user_db.session)
    await confirm_password(manager, user, current_password)
    await ensure_another_superuser_remains(manager.user_db.session, user)
    await manager.delete(user, request=request)


async def confirm_password(manager: UserManager, user: User, password: str) -> None:
    if not await manager.password_matches(user, password):
        raise InvalidCurrentPassword()
