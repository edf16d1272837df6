"""Verification and password-reset emails, delivered to a real SMTP server."""

import logging
import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import EmailOutbox, User
from tests.fixtures.app import FRONTEND_URL, http_client
from tests.fixtures.app_factory import AppFactory, closed_port, join_test_transaction
from tests.fixtures.smtp import Mailbox, ReceivedEmail
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify"
REQUEST_VERIFY = "/api/v1/auth/request-verify-token"
FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/users/me"
NEW_PASSWORD = "another-Long-passphrase-7"
HOSTILE_HEADERS = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "http",
    "Forwarded": "host=evil.example;proto=http",
}


def link_in(text: str, path: str) -> str:
    match = re.search(r"https?://[^\s\"'<>]+", text)
    assert match is not None, f"no link in {text!r}"
    link = match.group(0)
    assert link.startswith(f"{FRONTEND_URL}{path}?token="), link
    return link


def token_from(email: ReceivedEmail, path: str) -> str:
    """The token of the email's link, checked to be the same in both parts."""
    text_link = link_in(email.part("text/plain"), path)
    html = email.part("text/html")
    assert f'href="{text_link}"' in html
    return text_link.removeprefix(f"{FRONTEND_URL}{path}?token=")


def alternatives(email: ReceivedEmail) -> list[str]:
    """The content types of the multipart/alternative part, in order.

    Clients show the last alternative they can render, so HTML must come last.
    """
    for part in email.message.walk():
        if part.get_content_type() == "multipart/alternative":
            return [sub.get_content_type() for sub in part.iter_parts()]
    raise AssertionError("no multipart/alternative part")


async def register(
    client: httpx.AsyncClient, email: str, **extra: object
) -> httpx.Response:
    response = await client.post(
        REGISTER, json={"email": email, "password": DEFAULT_PASSWORD, **extra}
    )
    assert response.status_code == 201, response.text
    return response


async def settled(mailbox: Mailbox, recipient: str) -> list[ReceivedEmail]:
    """Every email to `recipient`: the test clients deliver before returning."""
    return mailbox.to(recipient)


async def outbox_row(session: AsyncSession, recipient: str) -> EmailOutbox:
    row = await session.scalar(
        select(EmailOutbox).where(EmailOutbox.recipient == recipient)
    )
    assert row is not None, f"no outbox row for {recipient}"
    await session.refresh(row)
    return row


# --- verification ----------------------------------------------------------


async def test_register_sends_one_multipart_verification_email(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await register(client, "welcome@example.com", full_name="Wendy")

    [email] = await mailbox.wait_for("welcome@example.com")
    assert await settled(mailbox, "welcome@example.com") == [email]
    assert email.recipients == ["welcome@example.com"]
    assert alternatives(email) == ["text/plain", "text/html"]
    assert "gatehouse@example.com" in str(email.message["from"])
    assert "Confirm your email" in email.subject
    assert "Hello Wendy" in email.part("text/plain")
    assert "Hello Wendy" in email.part("text/html")
    assert token_from(email, "/verify-email")


async def test_verification_link_verifies_once(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await register(client, "verify.me@example.com")
    [email] = await mailbox.wait_for("verify.me@example.com")
    token = token_from(email, "/verify-email")

    response = await client.post(VERIFY, json={"token": token})

    assert response.status_code == 200
    assert response.json()["email"] == "verify.me@example.com"
    assert response.json()["is_verified"] is True
    headers = await login(client, "verify.me@example.com")
    assert (await client.get(ME, headers=headers)).json()["is_verified"] is True

    reused = await client.post(VERIFY, json={"token": token})
    assert reused.status_code == 400
    assert reused.json() == {"detail": "VERIFY_USER_ALREADY_VERIFIED"}


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
    ],
    ids=["garbage", "empty", "forged"],
)
async def test_verify_with_a_bad_token_is_400(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(VERIFY, json={"token": token})

    assert response.status_code == 400
    assert response.json() == {"detail": "VERIFY_USER_BAD_TOKEN"}


async def test_a_reset_token_is_not_a_verification_token(
    client: httpx.AsyncClient, user: User, mailbox: Mailbox
) -> None:
    await client.post(FORGOT, json={"email": user.email})
    [email] = await mailbox.wait_for(user.email)

    response = await client.post(
        VERIFY, json={"token": token_from(email, "/reset-password")}
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "VERIFY_USER_BAD_TOKEN"}


async def test_verify_without_token_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(VERIFY, json={})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "token"]


async def test_request_verify_token_emails_an_unverified_user(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    mailbox: Mailbox,
) -> None:
    pending = await create_user(isolated_app, db_session, is_verified=False)

    response = await client.post(REQUEST_VERIFY, json={"email": pending.email.upper()})

    assert response.status_code == 202
    assert response.json() is None
    [email] = await mailbox.wait_for(pending.email)
    verified = await client.post(
        VERIFY, json={"token": token_from(email, "/verify-email")}
    )
    assert verified.status_code == 200


async def test_request_verify_token_sends_nothing_for_unknown_or_verified(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    user: User,
    mailbox: Mailbox,
) -> None:
    inactive = await create_user(
        isolated_app, db_session, is_verified=False, is_active=False
    )
    addresses = ["stranger@example.com", user.email, inactive.email]

    responses = [
        await client.post(REQUEST_VERIFY, json={"email": address})
        for address in addresses
    ]

    assert [r.status_code for r in responses] == [202, 202, 202]
    assert mailbox.received == []


async def test_request_verify_token_with_invalid_email_is_422(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(REQUEST_VERIFY, json={"email": "nope"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


# --- password reset --------------------------------------------------------


async def test_forgot_password_emails_a_reset_link(
    client: httpx.AsyncClient, user: User, mailbox: Mailbox
) -> None:
    response = await client.post(FORGOT, json={"email": user.email.upper()})

    assert response.status_code == 202
    assert response.json() is None
    [email] = await mailbox.wait_for(user.email)
    assert await settled(mailbox, user.email) == [email]
    assert alternatives(email) == ["text/plain", "text/html"]
    assert "Reset your" in email.subject
    assert token_from(email, "/reset-password")


async def test_forgot_password_sends_nothing_for_unknown_or_inactive(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    mailbox: Mailbox,
) -> None:
    inactive = await create_user(isolated_app, db_session, is_active=False)

    unknown = await client.post(FORGOT, json={"email": "stranger@example.com"})
    refused = await client.post(FORGOT, json={"email": inactive.email})

    assert (unknown.status_code, refused.status_code) == (202, 202)
    assert unknown.json() == refused.json()
    assert mailbox.received == []


async def test_reset_password_changes_the_password_once(
    client: httpx.AsyncClient, user: User, mailbox: Mailbox
) -> None:
    await client.post(FORGOT, json={"email": user.email})
    [email] = await mailbox.wait_for(user.email)
    token = token_from(email, "/reset-password")

    response = await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})

    assert response.status_code == 200
    old = await client.post(
        LOGIN, data={"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert old.status_code == 400
    assert old.json() == {"detail": "LOGIN_BAD_CREDENTIALS"}
    await login(client, user.email, NEW_PASSWORD)

    # The token names the password it was issued for, which no longer exists.
    again = await client.post(RESET, json={"token": token, "password": "third-Pass-99"})
    assert again.status_code == 400
    assert again.json() == {"detail": "RESET_PASSWORD_BAD_TOKEN"}
    await login(client, user.email, NEW_PASSWORD)


async def test_reset_with_a_weak_password_is_400_and_keeps_the_token_usable(
    client: httpx.AsyncClient, user: User, mailbox: Mailbox
) -> None:
    await client.post(FORGOT, json={"email": user.email})
    [email] = await mailbox.wait_for(user.email)
    token = token_from(email, "/reset-password")

    weak = await client.post(RESET, json={"token": token, "password": "short"})

    assert weak.status_code == 400
    detail = weak.json()["detail"]
    assert detail["code"] == "RESET_PASSWORD_INVALID_PASSWORD"
    assert "at least 8" in detail["reason"]
    accepted = await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})
    assert accepted.status_code == 200


async def test_reset_password_of_a_deactivated_user_is_refused(
    client: httpx.AsyncClient, user: User, mailbox: Mailbox, db_session: AsyncSession
) -> None:
    await client.post(FORGOT, json={"email": user.email})
    [email] = await mailbox.wait_for(user.email)
    user.is_active = False
    await db_session.commit()

    response = await client.post(
        RESET,
        json={"token": token_from(email, "/reset-password"), "password": NEW_PASSWORD},
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "RESET_PASSWORD_BAD_TOKEN"}


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"],
    ids=["garbage", "empty", "forged"],
)
async def test_reset_with_a_bad_token_is_400(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(RESET, json={"token": token, "password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json() == {"detail": "RESET_PASSWORD_BAD_TOKEN"}


async def test_a_verification_token_is_not_a_reset_token(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await register(client, "mixup@example.com")
    [email] = await mailbox.wait_for("mixup@example.com")

    response = await client.post(
        RESET,
        json={"token": token_from(email, "/verify-email"), "password": NEW_PASSWORD},
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "RESET_PASSWORD_BAD_TOKEN"}


async def test_reset_without_fields_is_422_naming_them(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(RESET, json={})

    assert response.status_code == 422
    locs = sorted(tuple(error["loc"]) for error in response.json()["detail"])
    assert locs == [("body", "password"), ("body", "token")]


# --- content and links -----------------------------------------------------


async def test_full_name_is_escaped_in_the_html_part(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await register(
        client, "markup@example.com", full_name='<a href="https://evil">x</a>'
    )

    [email] = await mailbox.wait_for("markup@example.com")
    html = email.part("text/html")
    assert "https://evil" in html
    assert '<a href="https://evil">' not in html
    assert "&lt;a href=&#34;https://evil&#34;&gt;x&lt;/a&gt;" in html


async def test_links_ignore_the_request_host(
    client: httpx.AsyncClient, user: User, mailbox: Mailbox
) -> None:
    await client.post(
        REGISTER,
        headers=HOSTILE_HEADERS,
        json={"email": "hosted@example.com", "password": DEFAULT_PASSWORD},
    )
    await client.post(FORGOT, headers=HOSTILE_HEADERS, json={"email": user.email})

    [verify] = await mailbox.wait_for("hosted@example.com")
    [reset] = await mailbox.wait_for(user.email)
    for email, path in ((verify, "/verify-email"), (reset, "/reset-password")):
        assert token_from(email, path)
        assert "evil.example" not in email.part("text/plain")
        assert "evil.example" not in email.part("text/html")


# --- delivery failures and the console mailer ------------------------------


def logged(caplog: pytest.LogCaptureFixture, level: int, recipient: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == level and recipient in record.getMessage()
    ]


async def test_smtp_failure_does_not_fail_registration_and_is_retried_later(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    db_session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = join_test_transaction(
        app_factory(MAIL_PORT=closed_port(), MAIL_TIMEOUT=2), test_sessionmaker
    )
    caplog.set_level(logging.INFO)

    async with http_client(broken) as http:
        response = await register(http, "unlucky@example.com")

    assert response.json()["email"] == "unlucky@example.com"
    [warning] = logged(caplog, logging.WARNING, "unlucky@example.com")
    assert "verify_email" in warning
    assert logged(caplog, logging.ERROR, "unlucky@example.com") == []
    row = await outbox_row(db_session, "unlucky@example.com")
    assert (row.status, row.attempts, row.kind) == ("pending", 1, "verify_email")
    assert row.last_error is not None
    assert row.next_attempt_at > row.created_at


async def test_smtp_failure_is_logged_once_after_the_last_attempt(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    db_session: AsyncSession,
    user: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = join_test_transaction(
        app_factory(
            MAIL_PORT=closed_port(), MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=0
        ),
        test_sessionmaker,
    )
    caplog.set_level(logging.INFO)

    async with http_client(broken) as http:
        response = await http.post(FORGOT, json={"email": user.email})

    assert response.status_code == 202
    assert len(logged(caplog, logging.WARNING, user.email)) == 2
    [failure] = logged(caplog, logging.ERROR, user.email)
    assert "reset_password" in failure
    row = await outbox_row(db_session, user.email)
    assert (row.status, row.attempts) == ("failed", 3)


async def test_console_mailer_logs_the_email_and_its_link(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
    mailbox: Mailbox,
) -> None:
    console = join_test_transaction(app_factory(MAIL_SERVER=""), test_sessionmaker)
    caplog.set_level(logging.INFO)

    async with http_client(console) as http:
        await register(http, "console@example.com")

    logged = [
        record.getMessage()
        for record in caplog.records
        if "console@example.com" in record.getMessage()
    ]
    assert len(logged) == 1, logged
    assert "verify_email" in logged[0]
    link = link_in(logged[0], "/verify-email")
    assert len(link) > len(f"{FRONTEND_URL}/verify-email?token=") + 20
    assert mailbox.received == []
