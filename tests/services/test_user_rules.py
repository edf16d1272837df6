"""The user rules without HTTP: the last superuser, self-protection, bulk creation."""

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from app.schemas.user import UserCreate, UserUpdate
from app.services import users as users_service
from app.services.user_errors import (
    BulkEmailsConflict,
    BulkPasswordsRejected,
    CannotDeactivateSelf,
    CannotDeleteSelf,
    LastSuperuser,
)
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, manager_for


async def user_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User)) or 0


@pytest.fixture
async def admin(isolated_app: FastAPI, db_session: AsyncSession) -> User:
    return await create_user(isolated_app, db_session, is_superuser=True)


@pytest.mark.parametrize(
    "change",
    [{"is_superuser": False}, {"is_active": False}],
    ids=["demoted", "deactivated"],
)
async def test_the_last_active_superuser_stays(
    isolated_app: FastAPI,
    db_session: AsyncSession,
    admin: User,
    change: dict[str, bool],
) -> None:
    other = await create_user(isolated_app, db_session)
    manager = manager_for(isolated_app, db_session)

    with pytest.raises(LastSuperuser):
        await users_service.update_user(manager, other, admin, UserUpdate(**change))


async def test_a_superuser_may_go_while_another_remains(
    isolated_app: FastAPI, db_session: AsyncSession, admin: User
) -> None:
    second = await create_user(isolated_app, db_session, is_superuser=True)
    manager = manager_for(isolated_app, db_session)

    updated = await users_service.update_user(
        manager, second, admin, UserUpdate(is_superuser=False)
    )

    assert updated.is_superuser is False
    with pytest.raises(LastSuperuser):
        await users_service.delete_user(manager, admin, second)


async def test_superusers_cannot_delete_or_deactivate_themselves(
    isolated_app: FastAPI, db_session: AsyncSession, admin: User
) -> None:
    await create_user(isolated_app, db_session, is_superuser=True)
    manager = manager_for(isolated_app, db_session)

    with pytest.raises(CannotDeleteSelf):
        await users_service.delete_user(manager, admin, admin)
    with pytest.raises(CannotDeactivateSelf):
        await users_service.update_user(
            manager, admin, admin, UserUpdate(is_active=False)
        )


def entry(email: str, password: str = DEFAULT_PASSWORD) -> UserCreate:
    return UserCreate(email=email, password=password)


async def test_bulk_conflicts_name_taken_and_repeated_emails_and_write_nothing(
    isolated_app: FastAPI, db_session: AsyncSession
) -> None:
    await create_user(isolated_app, db_session, email="taken@example.com")
    before = await user_count(db_session)
    entries = [
        entry("new@example.com"),
        entry("Taken@Example.com"),
        entry("twice@example.com"),
        entry("TWICE@example.com"),
    ]

    with pytest.raises(BulkEmailsConflict) as refused:
        await users_service.create_users(manager_for(isolated_app, db_session), entries)

    assert refused.value.data["entries"] == [
        {"index": 1, "email": "Taken@example.com", "reason": "ALREADY_EXISTS"},
        {"index": 2, "email": "twice@example.com", "reason": "DUPLICATE_IN_REQUEST"},
        {"index": 3, "email": "TWICE@example.com", "reason": "DUPLICATE_IN_REQUEST"},
    ]
    assert await user_count(db_session) == before


async def test_bulk_refuses_every_weak_password_before_writing(
    isolated_app: FastAPI, db_session: AsyncSession
) -> None:
    before = await user_count(db_session)
    entries = [entry("a@example.com", "short"), entry("b@example.com")]

    with pytest.raises(BulkPasswordsRejected) as refused:
        await users_service.create_users(manager_for(isolated_app, db_session), entries)

    [rejected] = refused.value.data["entries"]
    assert (rejected["index"], rejected["email"]) == (0, "a@example.com")
    assert "at least 8 characters" in rejected["reason"]
    assert await user_count(db_session) == before
