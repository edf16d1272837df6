"""`python -m commands.purge_tokens`: expired refresh tokens go, the rest stay.

The command commits for real, so these tests write committed rows to the test
database and delete every row afterwards.
"""

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.core.config import Settings, get_settings
from app.db.session import wait_for_background_tasks
from app.models import RefreshToken, User
from commands.purge_tokens import main, purge_tokens
from tests.fixtures.app import TEST_SECRETS
from tests.fixtures.database import delete_all_rows
from tests.fixtures.sessions import (
    browser_login,
    refresh,
    stored_refresh_token,
    token_hash,
    with_cookie,
)
from tests.fixtures.smtp import free_port
from tests.fixtures.users import create_user

REFRESH_URL = "/api/v1/auth/refresh"


@pytest.fixture
async def committed_rows(app: FastAPI) -> AsyncIterator[None]:
    yield
    await wait_for_background_tasks()
    await delete_all_rows(app.state.engine)


@pytest.fixture
def command_environment(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> Iterator[None]:
    """What `main()` reads from the environment: the test database."""
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL)
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def token_row(owner: User, *, expires_in: timedelta, revoked: bool) -> RefreshToken:
    now = datetime.now(UTC)
    return RefreshToken(
        user_id=owner.id,
        family_id=uuid.uuid4(),
        token_hash=token_hash(secrets.token_urlsafe(32)),
        token_version=owner.token_version,
        authenticated_at=now - timedelta(days=1),
        expires_at=now + expires_in,
        revoked_at=now - timedelta(hours=1) if revoked else None,
    )


async def store_tokens(app: FastAPI) -> dict[str, uuid.UUID]:
    """Two expired tokens (one revoked) and two unexpired ones (one revoked)."""
    async with app.state.sessionmaker() as session:
        owner = await create_user(app, session, email="purge@example.com")
        rows = {
            "expired": token_row(owner, expires_in=-timedelta(days=1), revoked=False),
            "expired_revoked": token_row(
                owner, expires_in=-timedelta(seconds=1), revoked=True
            ),
            "live": token_row(owner, expires_in=timedelta(days=1), revoked=False),
            "revoked": token_row(owner, expires_in=timedelta(days=29), revoked=True),
        }
        session.add_all(rows.values())
        await session.commit()
        return {name: row.id for name, row in rows.items()}


async def remaining(app: FastAPI) -> set[uuid.UUID]:
    async with app.state.sessionmaker() as session:
        return set((await session.scalars(select(RefreshToken.id))).all())


@pytest.mark.usefixtures("committed_rows")
@pytest.mark.parametrize("batch_size", [1, 1000])
async def test_purge_deletes_expired_tokens_only(
    app: FastAPI, settings: Settings, batch_size: int
) -> None:
    ids = await store_tokens(app)

    deleted = await purge_tokens(settings, batch_size=batch_size)

    assert deleted == 2
    assert await remaining(app) == {ids["live"], ids["revoked"]}
    assert await purge_tokens(settings) == 0


@pytest.mark.usefixtures("committed_rows", "command_environment")
async def test_main_prints_how_many_were_deleted(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    await store_tokens(app)

    exit_code = await asyncio.to_thread(main, ["--batch-size", "1"])

    assert exit_code == 0
    assert capsys.readouterr().out == (
        "Deleted 2 expired refresh token(s).\nDeleted 0 expired sign-in challenge(s).\n"
    )


@pytest.mark.usefixtures("committed_rows")
async def test_a_kept_rotated_token_is_still_recognised_as_reuse(
    app: FastAPI, settings: Settings, committed_browser: httpx.AsyncClient
) -> None:
    async with app.state.sessionmaker() as session:
        owner = await create_user(app, session, email="reuse@example.com")
    await browser_login(committed_browser, owner.email)
    rotated = str(stored_refresh_token(committed_browser))
    await refresh(committed_browser)

    await purge_tokens(settings)

    async with app.state.sessionmaker() as session:
        kept = await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash(rotated))
        )
        assert kept is not None
        kept.revoked_at = datetime.now(UTC) - timedelta(minutes=5)
        await session.commit()
    replay = await committed_browser.post(REFRESH_URL, headers=with_cookie(rotated))
    assert replay.status_code == 401
    assert (await refresh(committed_browser)).status_code == 401


def test_main_reports_an_unreachable_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql://gatehouse:hunter2@127.0.0.1:{free_port()}/x"
    )
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        exit_code = main([])
    finally:
        get_settings.cache_clear()

    assert exit_code == 2
    error = capsys.readouterr().err
    assert error.startswith("Error: cannot use PostgreSQL at 127.0.0.1:")
    assert "connection refused" in error
    assert "hunter2" not in error


def test_a_batch_size_below_one_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--batch-size", "0"])

    assert exit_info.value.code == 2
    assert "--batch-size" in capsys.readouterr().err
