"""Security notifications and the welcome email: who gets them, what they say,
where their links go (the SPA, never the API)."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import AuditEvent, User
from tests.api.routes.test_email_flows import token_from
from tests.fixtures.app import FRONTEND_URL, http_client
from tests.fixtures.app_factory import AppFactory, join_test_transaction
from tests.fixtures.sessions import bearer, browser_client, browser_login
from tests.fixtures.smtp import Mailbox, ReceivedEmail
from tests.fixtures.users import DEFAULT_PASSWORD, create_user

NEW_PASSWORD = "a-brand-New-passphrase-9"
CHANGED = "Your Gatehouse password was changed"
NEW_SIGN_IN = "A new sign-in to your Gatehouse account"
WELCOME = "Welcome to Gatehouse"


def links_in(email: ReceivedEmail) -> set[str]:
    parts = email.part("text/plain") + email.part("text/html")
    return set(re.findall(r"https?://[^\s\"'<>]+", parts))


def subjects(mailbox: Mailbox, recipient: str) -> list[str]:
    return [email.subject for email in mailbox.to(recipient)]


async def test_a_password_change_is_told_to_the_owner(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    mailbox: Mailbox,
) -> None:
    response = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=user_headers,
    )

    assert response.status_code == 204
    [notice] = await mailbox.wait_for(user.email)
    assert notice.subject == CHANGED
    assert "was changed on" in notice.part("text/plain")
    assert links_in(notice) == {f"{FRONTEND_URL}/forgot-password"}


async def test_a_password_reset_is_told_to_the_owner(
    client: httpx.AsyncClient, user: User, mailbox: Mailbox
) -> None:
    await client.post("/api/v1/auth/forgot-password", json={"email": user.email})
    [reset] = await mailbox.wait_for(user.email)
    token = token_from(reset, "/reset-password")

    response = await client.post(
        "/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}
    )

    assert response.status_code == 200
    [_, notice] = await mailbox.wait_for(user.email, count=2)
    assert notice.subject == CHANGED


async def test_notices_escape_what_users_typed(
    isolated_app: FastAPI,
    db_session: AsyncSession,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
) -> None:
    owner = await create_user(
        isolated_app, db_session, full_name="<script>alert(1)</script>"
    )
    login = await client.post(
        "/api/v1/auth/login",
        data={"username": owner.email, "password": DEFAULT_PASSWORD},
    )
    await client.post(
        "/api/v1/users/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(login.json()["access_token"]),
    )

    [notice] = await mailbox.wait_for(owner.email)
    assert "<script>" not in notice.part("text/html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in notice.part("text/html")


async def verify_new_account(
    client: httpx.AsyncClient, mailbox: Mailbox, email: str
) -> None:
    registered = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": DEFAULT_PASSWORD}
    )
    assert registered.status_code == 201
    [verification] = await mailbox.wait_for(email)
    token = token_from(verification, "/verify-email")
    verified = await client.post("/api/v1/auth/verify", json={"token": token})
    assert verified.status_code == 200


async def test_a_verified_address_gets_a_welcome(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await verify_new_account(client, mailbox, "newcomer@example.com")

    [_, welcome] = await mailbox.wait_for("newcomer@example.com", count=2)
    assert welcome.subject == WELCOME
    assert links_in(welcome) == {f"{FRONTEND_URL}/"}


async def test_the_welcome_can_be_turned_off(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    mailbox: Mailbox,
) -> None:
    app = join_test_transaction(
        app_factory(WELCOME_EMAIL_ENABLED=False), test_sessionmaker
    )
    async with http_client(app) as client:
        await verify_new_account(client, mailbox, "quiet@example.com")

    assert subjects(mailbox, "quiet@example.com") == [
        "Confirm your email for Gatehouse"
    ]


# --- a new sign-in --------------------------------------------------------------


@pytest.fixture
async def phone(isolated_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_client(isolated_app) as http:
        http.headers["User-Agent"] = "TestPhone/2.0"
        yield http


async def test_the_first_sign_in_and_a_known_device_send_nothing(
    browser: httpx.AsyncClient, user: User, mailbox: Mailbox
) -> None:
    await browser_login(browser, user.email)
    await browser_login(browser, user.email)

    assert mailbox.to(user.email) == []


async def test_a_sign_in_from_a_new_device_is_told_to_the_owner(
    browser: httpx.AsyncClient, phone: httpx.AsyncClient, user: User, mailbox: Mailbox
) -> None:
    await browser_login(browser, user.email)

    await browser_login(phone, user.email)

    [notice] = await mailbox.wait_for(user.email)
    assert notice.subject == NEW_SIGN_IN
    text = notice.part("text/plain")
    assert "TestPhone/2.0" in text
    assert "How: password" in text
    assert links_in(notice) == {f"{FRONTEND_URL}/sessions"}
    await browser_login(phone, user.email)
    assert len(mailbox.to(user.email)) == 1  # the phone is known now


async def test_a_device_unseen_for_the_lookback_is_new_again(
    browser: httpx.AsyncClient, db_session: AsyncSession, user: User, mailbox: Mailbox
) -> None:
    await browser_login(browser, user.email)
    await db_session.execute(
        update(AuditEvent)
        .where(AuditEvent.target_user_id == user.id)
        .values(created_at=datetime.now(UTC) - timedelta(days=91))
    )

    await browser_login(browser, user.email)

    assert subjects(mailbox, user.email) == [NEW_SIGN_IN]


async def test_new_sign_in_emails_can_be_turned_off(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    mailbox: Mailbox,
) -> None:
    app = join_test_transaction(
        app_factory(NEW_SIGN_IN_EMAIL_ENABLED=False), test_sessionmaker
    )
    for agent in ("First/1.0", "Second/1.0"):
        async with browser_client(app) as client:
            client.headers["User-Agent"] = agent
            await browser_login(client, user.email)

    assert mailbox.to(user.email) == []
