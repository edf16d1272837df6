"""`UserRead` with the user's roles and effective permissions.

One query for however many users (`app.authz.service.access_of`); routes that
answer a `UserRead` build it here, so no route answers one without them.
"""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.service import access_of
from app.models import User
from app.schemas.user import UserAccountRead, UserRead


async def user_reads(session: AsyncSession, users: Sequence[User]) -> list[UserRead]:
    access = await access_of(session, users)
    return [
        UserRead(
            **dict(UserAccountRead.model_validate(user)),
            roles=access[user.id].roles,
            permissions=access[user.id].permissions,
        )
        for user in users
    ]


async def user_read(session: AsyncSession, user: User) -> UserRead:
    (read,) = await user_reads(session, [user])
    return read
