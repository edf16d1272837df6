"""Your own account as `GET /users/me` shows it: your roles and permissions and
the state of your second factor, in one statement beside the user's own row."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import store as authz_store
from app.authz.grants import UserAccess, access_from
from app.mfa import store as mfa_store
from app.mfa.service import MfaStatus
from app.models import User
from app.services.users import USER_ID


@dataclass(frozen=True, slots=True)
class OwnAccount:
    access: UserAccess
    mfa: MfaStatus


async def own_account(session: AsyncSession, user: User) -> OwnAccount:
    """One query: the users row by its key, outer-joined to the user's grants
    (so a user without roles still gets one row), with the MFA columns."""
    enabled, unused = mfa_store.mfa_status_columns(user.id)
    grants = authz_store.grants_query([user.id]).subquery()
    rows = (
        await session.execute(
            select(enabled, unused, *grants.c)
            .select_from(User)
            .outerjoin(grants, grants.c.user_id == USER_ID)
            .where(USER_ID == user.id)
        )
    ).all()
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
