"""fastapi-users' SQLAlchemy adapter, joined to the request's transaction."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi_users import exceptions
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from app.models import User
from app.models.user import normalize_email


class UserDatabase(SQLAlchemyUserDatabase[User, uuid.UUID]):
    """Flushes instead of committing, so a request stays one transaction.

    The stock adapter commits inside `create`, `update` and `delete`; here the
    commit belongs to `get_async_session` (or `session_scope`), which makes
    multi-step operations (bulk creation, delete-with-checks) atomic. A unique
    violation on the normalised email, e.g. from a concurrent registration,
    becomes fastapi-users' `UserAlreadyExists` instead of a 500.
    """

    _locking = False

    @asynccontextmanager
    async def locking(self) -> AsyncIterator[None]:
        """Users read in the block are locked until the transaction ends.

        For checks that must not race (a single-use token): a concurrent request
        doing the same waits, then reads what this one wrote. PostgreSQL gets
        SELECT ... FOR UPDATE; SQLite needs none, its write transactions start
        with BEGIN IMMEDIATE and so run one at a time.
        """
        self._locking = True
        try:
            yield
        finally:
            self._locking = False

    async def _get_user(self, statement: Select[Any]) -> User | None:
        if self._locking:
            statement = statement.with_for_update().execution_options(
                populate_existing=True
            )
        return await super()._get_user(statement)

    async def get_by_email(self, email: str) -> User | None:
        """The account with this email in any letter case (full Unicode folding)."""
        return await self._get_user(
            select(User).where(User.email_normalized == normalize_email(email))
        )

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
