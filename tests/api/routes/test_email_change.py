"""Changing the email needs the password, tells the old address, and signs out
the other sessions: a stolen access token alone must not take an account over."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from tests.fixtures.sessions import (
    ME_URL,
    bearer,
    browser_client,
    browser_login,
    refresh,
)
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD, create_user

NEW_EMAIL = "new-home@example.com"


@pytest.fixture
async def laptop(isolated_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_client(isolated_app) as http:
        http.headers["User-Agent"] = "TestLaptop/3.0"
        yield http


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"email": NEW_EMAIL}, id="no-password"),
        pytest.param(
            {"email": NEW_EMAIL, "current_password": "not-my-password"},
            id="wrong-password",
        ),
    ],
)
async def test_an_email_change_without_the_password_is_refused(
    browser: httpx.AsyncClient, user: User, mailbox: Mailbox, body: dict[str, str]
) -> None:
    access = await browser_login(browser, user.email)
    mailbox.received.clear()

    response = await browser.patch(ME_URL, json=body, headers=bearer(access))

    assert response.status_code == 400
    assert response.json() == {"detail": "INVALID_CURRENT_PASSWORD"}
    me = await browser.get(ME_URL, headers=bearer(access))
    assert me.json()["email"] == user.email
    assert mailbox.received == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"full_name": "Only The Name"}, id="name"),
        pytest.param({"email": "USER-CASE@example.com"}, id="same-address-other-case"),
    ],
)
async def test_other_profile_changes_need_no_password(
    isolated_app: FastAPI,
    browser: httpx.AsyncClient,
    db_session: AsyncSession,
    body: dict[str, str],
) -> None:
    owner = await create_user(isolated_app, db_session, email="user-case@example.com")
    access = await browser_login(browser, owner.email)

    response = await browser.patch(ME_URL, json=body, headers=bearer(access))

    assert response.status_code == 200, response.text
    assert response.json()["is_verified"] is True


async def test_an_email_change_notifies_the_old_address_and_ends_other_sessions(
    browser: httpx.AsyncClient,
    laptop: httpx.AsyncClient,
    user: User,
    mailbox: Mailbox,
) -> None:
    old_email = user.email
    here = await browser_login(browser, old_email)
    there = await browser_login(laptop, old_email)
    mailbox.received.clear()

    response = await browser.patch(
        ME_URL,
        json={"email": NEW_EMAIL, "current_password": DEFAULT_PASSWORD},
        headers=bearer(here),
    )

    assert response.status_code == 200, response.text
    [notice] = await mailbox.wait_for(old_email)
    assert notice.subject == "The email address of your Gatehouse account was changed"
    for part in (notice.part("text/plain"), notice.part("text/html")):
        assert old_email in part
        assert NEW_EMAIL in part
        assert "reply to this email" in part
    assert "/verify-email?token=" in (await mailbox.wait_for(NEW_EMAIL))[0].part(
        "text/plain"
    )
    # The other device is signed out, both tokens; this one carries on.
    assert (await laptop.get(ME_URL, headers=bearer(there))).status_code == 401
    assert (await refresh(laptop)).status_code == 401
    assert (await browser.get(ME_URL, headers=bearer(here))).status_code == 200
    assert (await refresh(browser)).status_code == 200
