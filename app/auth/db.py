"""fastapi-users' SQLAlchemy adapter, joined to the request's transaction."""

import uuid
from typing import Any

from fastapi_users import exceptions
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy.exc import IntegrityError

from app.models import User


class UserDatabase(SQLAlchemyUserDatabase[User, uuid.UUID]):
    """Flushes instead of committing, so a request stays one transaction.

    The stock adapter commits inside `create`, `update` and `delete`; here the
    commit belongs to `get_async_session` (or `session_scope`), which makes
    multi-step operations (bulk creation, delete-with-checks) atomic. A unique
    violation on the lower-cased email, e.g. from a concurrent registration,
    becomes fastapi-users' `UserAlreadyExists` instead of a 500.
    """

    async def create(self, create_dict: dict[str, Any]) -> User:
        user = User(**create_dict)
        await self._flush_guarded(user)
        await self.session.refresh(user)
        return user

    async def update(self, user: User, update_dict: dict[str, Any]) -> User:
        for key, value in update_dict.items():
            setattr(user, key, value)
        await self._flush_guarded(user)
        await self.session.refresh(user)
        return user

    async def delete(self, user: User) -> None:
        await self.session.delete(user)
        await self.session.flush()

    async def _flush_guarded(self, user: User) -> None:
        try:
            async with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError as exc:
            raise exceptions.UserAlreadyExists() from exc
