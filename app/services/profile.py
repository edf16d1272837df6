"""Your own account as `GET /users/me` shows it: your roles and permissions and
the state of your second factor, in one statement beside the user's own row."""

import uuid
from dataclasses import dataclass

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import store as authz_store
from app.authz.grants import UserAccess, access_from
from app.mfa import store as mfa_store
from app.mfa.service import MfaStatus
from app.models import User, UserRole
from app.services.users import USER_ID


@dataclass(frozen=True, slots=True)
class OwnAccount:
    access: UserAccess
    mfa: MfaStatus


_USER: BindParameter[uuid.UUID] = bindparam("user_id")
_MFA_ON, _CODES_LEFT = mfa_store.mfa_status_columns(_USER)
_GRANTS = authz_store.grants_query(UserRole.user_id == _USER).subquery()
# Built once: building it costs more than running it.
_OWN_ACCOUNT = (
    select(_MFA_ON, _CODES_LEFT, *_GRANTS.c)
    .select_from(User)
    .outerjoin(_GRANTS, _GRANTS.c.user_id == USER_ID)
    .where(USER_ID == _USER)
)


async def own_account(session: AsyncSession, user: User) -> OwnAccount:
    """One query: the users row by its key, outer-joined to the user's grants
    (so a user without roles still gets one row), with the MFA columns."""
    rows = (await session.execute(_OWN_ACCOUNT, {"user_id": user.id})).all()
    mfa_on = bool(rows[0][0]) if rows else False
    codes_left = int(rows[0][1]) if rows and mfa_on else 0
    collected = authz_store.collect_grants(
        (user_id, slug, permission)
        for _, _, user_id, slug, permission in rows
        if slug is not None
    )
    return OwnAccount(
        access=access_from(user, collected[user.id]),
        mfa=MfaStatus(enabled=mfa_on, recovery_codes_left=codes_left),
    )
