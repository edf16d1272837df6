"""The session store without HTTP: rotation, reuse, the grace window, revoking, purging.

Each test works in the test's rolled-back transaction through `db_session`.
"""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.client import ClientInfo
from app.core.config import Settings
from app.models import RefreshToken, User
from app.sessions import store
from app.sessions.errors import RefreshTokenInvalid, SessionNotFound
from tests.fixtures.users import create_user

CLIENT = ClientInfo(user_agent="StoreTest/1.0", ip="192.0.2.7")


@pytest.fixture
async def owner(isolated_app: FastAPI, db_session: AsyncSession) -> User:
    return await create_user(isolated_app, db_session)


async def rows_of(session: AsyncSession, user: User) -> list[RefreshToken]:
    result = await session.scalars(
        select(RefreshToken)
        .where(RefreshToken.user_id == user.id)
        .order_by(RefreshToken.created_at)
        .execution_options(populate_existing=True)
    )
    return list(result)


async def test_a_new_family_stores_only_the_hash_of_its_token(
    db_session: AsyncSession, owner: User, settings: Settings
) -> None:
    family_id, token = await store.start_family(db_session, owner, CLIENT, settings)

    [row] = await rows_of(db_session, owner)
    assert row.family_id == family_id
    assert row.token_hash == store.hash_token(token) != token
    assert (row.user_agent, row.ip) == (CLIENT.user_agent, CLIENT.ip)
    assert row.token_version == owner.token_version


async def test_rotation_replaces_the_token_within_its_family(
    db_session: AsyncSession, owner: User, settings: Settings
) -> None:
    family_id, first = await store.start_family(db_session, owner, CLIENT, settings)

    rotation = await store.rotate(db_session, first, CLIENT, settings)

    assert rotation.family_id == family_id
    assert rotation.token is not None
    assert rotation.token != first
    old, new = await rows_of(db_session, owner)
    assert old.revoked_at is not None
    assert old.replaced_by_id == new.id
    assert new.revoked_at is None
    assert new.authenticated_at == old.authenticated_at


async def test_the_token_just_rotated_away_gets_the_grace_window(
    db_session: AsyncSession, owner: User, settings: Settings
) -> None:
    _, first = await store.start_family(db_session, owner, CLIENT, settings)
    await store.rotate(db_session, first, CLIENT, settings)

    late = await store.rotate(db_session, first, CLIENT, settings)

    assert late.token is None  # an access token, but no new cookie
    assert [row.revoked_at is None for row in await rows_of(db_session, owner)] == [
        False,
        True,
    ]


async def test_reuse_after_the_grace_window_revokes_the_family(
    db_session: AsyncSession, owner: User, settings: Settings
) -> None:
    _, first = await store.start_family(db_session, owner, CLIENT, settings)
    await store.rotate(db_session, first, CLIENT, settings)
    await db_session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == store.hash_token(first))
        .values(revoked_at=datetime.now(UTC) - timedelta(minutes=5))
    )

    with pytest.raises(RefreshTokenInvalid):
        await store.rotate(db_session, first, CLIENT, settings)

    assert all(row.revoked_at for row in await rows_of(db_session, owner))


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param({"expires_at": datetime(2000, 1, 1, tzinfo=UTC)}, id="expired"),
        pytest.param({"token_version": 99}, id="older-password"),
        pytest.param({"revoked_at": datetime.now(UTC)}, id="revoked-by-logout"),
    ],
)
async def test_unusable_tokens_are_refused(
    db_session: AsyncSession, owner: User, settings: Settings, spoil: dict[str, object]
) -> None:
    _, token = await store.start_family(db_session, owner, CLIENT, settings)
    await db_session.execute(
        update(RefreshToken).where(RefreshToken.user_id == owner.id).values(**spoil)
    )

    with pytest.raises(RefreshTokenInvalid):
        await store.rotate(db_session, token, CLIENT, settings)


async def test_an_unknown_token_is_refused(
    db_session: AsyncSession, settings: Settings
) -> None:
    with pytest.raises(RefreshTokenInvalid):
        await store.rotate(db_session, "no-such-token", CLIENT, settings)


async def test_revoking_one_session_leaves_the_others(
    db_session: AsyncSession, owner: User, settings: Settings
) -> None:
    kept, _ = await store.start_family(db_session, owner, CLIENT, settings)
    ended, _ = await store.start_family(db_session, owner, CLIENT, settings)

    await store.revoke_user_session(db_session, owner.id, ended)

    live = await db_session.scalars(store.live_sessions(owner, store.utc_now()))
    assert [row.family_id for row in live] == [kept]
    with pytest.raises(SessionNotFound):
        await store.revoke_user_session(db_session, owner.id, ended)


async def test_revoking_every_session_but_one(
    db_session: AsyncSession, owner: User, settings: Settings
) -> None:
    kept, _ = await store.start_family(db_session, owner, CLIENT, settings)
    for _ in range(2):
        await store.start_family(db_session, owner, CLIENT, settings)

    assert await store.revoke_user_sessions(db_session, owner.id, keep=kept) == 2
    assert await store.revoke_user_sessions(db_session, owner.id) == 1


async def test_purge_deletes_expired_tokens_only_in_batches(
    db_session: AsyncSession, owner: User, settings: Settings
) -> None:
    for _ in range(3):
        await store.start_family(db_session, owner, CLIENT, settings)
    await store.start_family(db_session, owner, CLIENT, settings)
    rows = await rows_of(db_session, owner)
    await db_session.execute(
        update(RefreshToken)
        .where(RefreshToken.id.in_([row.id for row in rows[:3]]))
        .values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    )
    now = store.utc_now()

    assert await store.purge_expired(db_session, now, limit=2) == 2
    assert await store.purge_expired(db_session, now, limit=2) == 1
    assert [row.id for row in await rows_of(db_session, owner)] == [rows[3].id]
