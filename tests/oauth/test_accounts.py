"""Connecting providers to a signed-in account, listing and disconnecting them."""

import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent, OAuthAccount, RefreshToken, User
from app.models.audit_event import AuditEventKind
from app.sessions.store import utc_now
from tests.fixtures.oauth import (
    ACCOUNTS_PATH,
    Fakes,
    Landing,
    come_back,
    landing,
    provider_url,
)
from tests.fixtures.sessions import (
    bearer,
    browser_client,
    browser_login,
    refresh,
    refresh_cookie,
)
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import create_user


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def connect_github(
    browser: httpx.AsyncClient, fakes: Fakes, github_id: int, next: str = "/settings"
) -> Landing:
    url = await provider_url(browser, "github", intent="connect", next=next)
    redirect = fakes.github.consent(
        url,
        id=github_id,
        emails=[{"email": unique_email("gh"), "primary": True, "verified": True}],
    )
    return await come_back(browser, redirect)


async def google_sign_in(
    browser: httpx.AsyncClient, fakes: Fakes, sub: str, email: str
) -> str:
    """Sign in with Google; the access token the SPA then gets by refreshing."""
    url = await provider_url(browser, "google")
    redirect = fakes.google.consent(url, sub=sub, email=email, email_verified=True)
    assert (await come_back(browser, redirect)).error is None
    refreshed = await refresh(browser)
    assert refreshed.status_code == 200
    token: str = refreshed.json()["access_token"]
    return token


async def listed(browser: httpx.AsyncClient, token: str) -> list[dict[str, object]]:
    response = await browser.get(ACCOUNTS_PATH, headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    items: list[dict[str, object]] = body["items"]
    return items


async def test_a_signed_in_user_connects_a_provider(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
    mailbox: Mailbox,
) -> None:
    user = await create_user(oauth_app, db_session, email=unique_email("connect"))
    token = await browser_login(oauth_browser, user.email)
    cookie_before = oauth_browser.cookies.get("gatehouse_refresh")

    landed = await connect_github(oauth_browser, fakes, 9001, next="/settings/logins")

    assert landed.params == {"next": "/settings/logins"}
    # Connecting starts no new session: the cookie is the one from the login.
    assert refresh_cookie(landed.response) is None
    assert oauth_browser.cookies.get("gatehouse_refresh") == cookie_before
    [item] = await listed(oauth_browser, token)
    assert item["provider"] == "github"
    assert set(item) == {"id", "provider", "email", "created_at", "last_used_at"}
    kinds = await db_session.scalars(
        select(AuditEvent.kind).where(AuditEvent.target_user_id == user.id)
    )
    assert AuditEventKind.OAUTH_LINKED.value in list(kinds)
    notices = await mailbox.wait_for(user.email, within=30)
    assert any("GitHub was connected" in m.part("text/plain") for m in notices)

    # The identity now signs in to this account.
    async with browser_client(oauth_app) as other_browser:
        url = await provider_url(other_browser, "github")
        redirect = fakes.github.consent(url, id=9001, emails=[])
        assert (await come_back(other_browser, redirect)).error is None
        refreshed = await refresh(other_browser)
        me = await other_browser.get(
            "/api/v1/users/me", headers=bearer(refreshed.json()["access_token"])
        )
    assert me.json()["id"] == str(user.id)


async def test_connecting_needs_a_session(
    oauth_browser: httpx.AsyncClient,
) -> None:
    response = await oauth_browser.get(
        "/api/v1/auth/oauth/github/authorize", params={"intent": "connect"}
    )

    assert landing(response).error == "OAUTH_REAUTHENTICATION_REQUIRED"


async def test_connecting_needs_a_sign_in_within_ten_minutes(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    db_session: AsyncSession,
) -> None:
    user = await create_user(oauth_app, db_session, email=unique_email("stale"))
    await browser_login(oauth_browser, user.email)
    await db_session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id)
        .values(authenticated_at=utc_now() - timedelta(minutes=11))
    )
    await db_session.commit()

    response = await oauth_browser.get(
        "/api/v1/auth/oauth/github/authorize", params={"intent": "connect"}
    )

    assert landing(response).error == "OAUTH_REAUTHENTICATION_REQUIRED"


async def test_connecting_with_an_ended_session_is_refused(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    db_session: AsyncSession,
) -> None:
    user = await create_user(oauth_app, db_session, email=unique_email("ended"))
    await browser_login(oauth_browser, user.email)
    await db_session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id)
        .values(revoked_at=utc_now())
    )
    await db_session.commit()

    response = await oauth_browser.get(
        "/api/v1/auth/oauth/github/authorize", params={"intent": "connect"}
    )

    assert landing(response).error == "OAUTH_REAUTHENTICATION_REQUIRED"


async def test_an_identity_of_another_account_cannot_be_connected(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
) -> None:
    owner = await create_user(oauth_app, db_session, email=unique_email("owner"))
    async with browser_client(oauth_app) as owners_browser:
        await browser_login(owners_browser, owner.email)
        assert (await connect_github(owners_browser, fakes, 9100)).error is None
    other = await create_user(oauth_app, db_session, email=unique_email("other"))
    token = await browser_login(oauth_browser, other.email)

    landed = await connect_github(oauth_browser, fakes, 9100)

    assert landed.error == "OAUTH_IDENTITY_IN_USE"
    assert await listed(oauth_browser, token) == []


async def test_the_last_login_method_cannot_be_disconnected(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, db_session: AsyncSession
) -> None:
    token = await google_sign_in(oauth_browser, fakes, "g-last", unique_email("last"))
    [google] = await listed(oauth_browser, token)

    refused = await oauth_browser.delete(
        f"{ACCOUNTS_PATH}/{google['id']}", headers=bearer(token)
    )

    assert refused.status_code == 409
    assert refused.json() == {"detail": "LAST_LOGIN_METHOD"}
    assert len(await listed(oauth_browser, token)) == 1

    # With a second identity, either may go, but not both.
    assert (await connect_github(oauth_browser, fakes, 9200)).error is None
    removed = await oauth_browser.delete(
        f"{ACCOUNTS_PATH}/{google['id']}", headers=bearer(token)
    )
    assert removed.status_code == 204
    [github] = await listed(oauth_browser, token)
    assert github["provider"] == "github"
    again = await oauth_browser.delete(
        f"{ACCOUNTS_PATH}/{github['id']}", headers=bearer(token)
    )
    assert again.status_code == 409
    kinds = await db_session.scalars(
        select(AuditEvent.kind).where(
            AuditEvent.kind == AuditEventKind.OAUTH_UNLINKED.value
        )
    )
    assert list(kinds) == [AuditEventKind.OAUTH_UNLINKED.value]


async def test_a_user_with_a_password_can_disconnect_their_only_identity(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
) -> None:
    user = await create_user(oauth_app, db_session, email=unique_email("haspw"))
    token = await browser_login(oauth_browser, user.email)
    assert (await connect_github(oauth_browser, fakes, 9300)).error is None
    [github] = await listed(oauth_browser, token)

    response = await oauth_browser.delete(
        f"{ACCOUNTS_PATH}/{github['id']}", headers=bearer(token)
    )

    assert response.status_code == 204
    assert await listed(oauth_browser, token) == []
    assert (
        await db_session.scalar(
            select(OAuthAccount).where(OAuthAccount.user_id == user.id)
        )
        is None
    )


async def test_someone_elses_identity_is_not_found(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
) -> None:
    owner_token = await google_sign_in(
        oauth_browser, fakes, "g-owner", unique_email("theirs")
    )
    [theirs] = await listed(oauth_browser, owner_token)
    other = await create_user(oauth_app, db_session, email=unique_email("intruder"))
    async with browser_client(oauth_app) as intruder:
        token = await browser_login(intruder, other.email)
        foreign = await intruder.delete(
            f"{ACCOUNTS_PATH}/{theirs['id']}", headers=bearer(token)
        )
        unknown = await intruder.delete(
            f"{ACCOUNTS_PATH}/{uuid.uuid4()}", headers=bearer(token)
        )

    assert foreign.status_code == 404
    assert foreign.json() == {"detail": "OAUTH_ACCOUNT_NOT_FOUND"}
    assert unknown.status_code == 404
    assert len(await listed(oauth_browser, owner_token)) == 1


async def test_the_identities_api_needs_an_access_token(
    oauth_browser: httpx.AsyncClient,
) -> None:
    listing = await oauth_browser.get(ACCOUNTS_PATH)
    deletion = await oauth_browser.delete(f"{ACCOUNTS_PATH}/{uuid.uuid4()}")

    assert listing.status_code == 401
    assert deletion.status_code == 401


async def test_a_connect_flow_ends_if_its_user_is_deactivated_meanwhile(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
) -> None:
    user = await create_user(oauth_app, db_session, email=unique_email("meanwhile"))
    await browser_login(oauth_browser, user.email)
    url = await provider_url(oauth_browser, "github", intent="connect")
    redirect = fakes.github.consent(url, id=9400, emails=[])
    await db_session.execute(
        update(User).where(User.email == user.email).values(is_active=False)
    )
    await db_session.commit()

    landed = await come_back(oauth_browser, redirect)

    assert landed.error == "OAUTH_USER_INACTIVE"
