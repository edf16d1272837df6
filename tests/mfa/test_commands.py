"""`python -m commands.reset_mfa EMAIL`, and the purge of expired challenges.

The commands commit for real: these tests write committed rows and delete
every row afterwards.
"""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.core.config import Settings, get_settings
from app.models import AuditEvent, MfaChallenge
from app.models.audit_event import AuditEventKind
from commands.purge_tokens import purge_challenges
from commands.reset_mfa import main
from tests.fixtures.app import TEST_SECRETS
from tests.fixtures.mfa import enrol, password_login
from tests.fixtures.sessions import bearer, browser_login
from tests.fixtures.users import create_user


@pytest.fixture
def command_environment(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> Iterator[None]:
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL)
    monkeypatch.setenv("MAIL_SERVER", "")
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("command_environment")
async def test_reset_mfa_turns_it_off_and_is_audited(
    app: FastAPI,
    committed_browser: httpx.AsyncClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    email = "operator-reset@example.com"
    async with app.state.sessionmaker() as session:
        user = await create_user(app, session, email=email)
    await enrol(
        committed_browser, bearer(await browser_login(committed_browser, email))
    )
    committed_browser.cookies.clear()

    exit_code = await asyncio.to_thread(main, [email.upper()])

    assert exit_code == 0
    assert "off" in capsys.readouterr().out
    login = await password_login(committed_browser, email)
    assert "access_token" in login.json()
    async with app.state.sessionmaker() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.kind == AuditEventKind.MFA_RESET.value)
        )
    assert event is not None
    assert (event.target_user_id, event.actor_user_id) == (user.id, None)
    assert await asyncio.to_thread(main, [email]) == 1
    assert "not on" in capsys.readouterr().err


@pytest.mark.usefixtures("command_environment", "delete_committed_rows")
async def test_reset_mfa_of_an_unknown_email_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await asyncio.to_thread(main, ["nobody@example.com"]) == 1
    assert "no user" in capsys.readouterr().err


@pytest.mark.usefixtures("delete_committed_rows")
async def test_purge_deletes_expired_challenges_only(
    app: FastAPI, settings: Settings
) -> None:
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as session:
        user = await create_user(app, session, email="purge-mfa@example.com")
        live, expired = (
            MfaChallenge(
                token_hash=name * 16,
                user_id=user.id,
                method="password",
                attempts=0,
                expires_at=now + delta,
            )
            for name, delta in (
                ("live", timedelta(minutes=5)),
                ("gone", -timedelta(seconds=1)),
            )
        )
        session.add_all([live, expired])
        await session.commit()

    assert await purge_challenges(settings, batch_size=1) == 1

    async with app.state.sessionmaker() as session:
        remaining = (await session.scalars(select(MfaChallenge.id))).all()
    assert remaining == [live.id]
