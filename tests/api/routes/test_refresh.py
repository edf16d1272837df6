"""Sessions for SPAs: the refresh cookie, its rotation, reuse detection, logout."""

import asyncio
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import RefreshToken, User
from tests.fixtures.app import make_settings
from tests.fixtures.app_factory import AppFactory, join_test_transaction
from tests.fixtures.sessions import (
    CSRF,
    LOGIN_URL,
    LOGOUT_URL,
    ME_URL,
    REFRESH_URL,
    bearer,
    browser_client,
    browser_login,
    refresh,
    refresh_cookie,
    stored_refresh_token,
    token_hash,
    with_cookie,
)
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

THIRTY_DAYS = 30 * 24 * 3600
NEW_PASSWORD = "another-Passphrase-77"


async def tokens_of(session: AsyncSession, user: User) -> list[RefreshToken]:
    rows = await session.scalars(
        select(RefreshToken)
        .where(RefreshToken.user_id == user.id)
        .order_by(RefreshToken.created_at)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def live_tokens(session: AsyncSession, user: User) -> list[RefreshToken]:
    return [t for t in await tokens_of(session, user) if t.revoked_at is None]


async def rotated_long_ago(session: AsyncSession, token: str) -> None:
    """Move a rotation out of the reuse grace window."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash(token))
        .values(revoked_at=datetime.now(UTC) - timedelta(minutes=5))
    )
    await session.commit()


def assert_cleared(response: httpx.Response) -> None:
    cookie = refresh_cookie(response)
    assert cookie is not None
    assert cookie.value == ""
    assert cookie.attributes["max-age"] == "0"
    assert cookie.attributes["path"] == "/api/v1/auth"


# --- login --------------------------------------------------------------------


async def test_login_sets_an_httponly_secure_lax_cookie_scoped_to_auth(
    browser: httpx.AsyncClient, user: User
) -> None:
    response = await browser.post(
        LOGIN_URL, data={"username": user.email, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "token_type"}
    cookie = refresh_cookie(response)
    assert cookie is not None
    assert {"httponly", "secure", "samesite=lax"} <= cookie.flags
    assert cookie.attributes["path"] == "/api/v1/auth"
    assert cookie.attributes["max-age"] == str(THIRTY_DAYS)
    assert "domain" not in cookie.attributes
    assert len(cookie.value) >= 43  # 32 random bytes, base64url


async def test_only_a_hash_of_the_refresh_token_is_stored(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    await browser_login(browser, user.email)
    token = stored_refresh_token(browser)
    assert token is not None

    [row] = await tokens_of(db_session, user)
    assert row.token_hash == token_hash(token)
    assert token not in {row.token_hash, str(row.id), str(row.family_id)}
    assert row.user_agent == "TestBrowser/1.0"
    assert row.ip == "127.0.0.1"
    assert row.expires_at - row.authenticated_at == timedelta(days=30)


async def test_plain_bearer_login_keeps_working(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = await login(client, user.email)

    me = await client.get(ME_URL, headers=headers)
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)


async def test_login_drops_the_users_own_expired_tokens(
    browser: httpx.AsyncClient, user: User, superuser: User, db_session: AsyncSession
) -> None:
    past = datetime.now(UTC) - timedelta(days=1)
    for owner in (user, superuser):
        db_session.add(expired_token(owner, secrets.token_urlsafe(32), past))
    await db_session.commit()

    await browser_login(browser, user.email)

    assert [t.expires_at > past for t in await tokens_of(db_session, user)] == [True]
    assert len(await tokens_of(db_session, superuser)) == 1


def expired_token(owner: User, token: str, expires_at: datetime) -> RefreshToken:
    return RefreshToken(
        user_id=owner.id,
        family_id=uuid.uuid4(),
        token_hash=token_hash(token),
        token_version=owner.token_version,
        authenticated_at=expires_at - timedelta(days=30),
        expires_at=expires_at,
    )


# --- refresh --------------------------------------------------------------------


async def test_life_cycle_login_refresh_refresh_logout(
    browser: httpx.AsyncClient, user: User
) -> None:
    access = await browser_login(browser, user.email)
    first = stored_refresh_token(browser)

    refreshed = await refresh(browser)
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert set(body) == {"access_token", "token_type"}
    assert body["token_type"] == "bearer"
    second = stored_refresh_token(browser)
    assert second not in {None, first}
    me = await browser.get(ME_URL, headers=bearer(body["access_token"]))
    assert me.json()["id"] == str(user.id)

    again = await refresh(browser)
    assert again.status_code == 200
    third = stored_refresh_token(browser)
    assert third not in {None, first, second}
    cookie = refresh_cookie(again)
    assert cookie is not None
    assert cookie.attributes["max-age"] == str(THIRTY_DAYS)

    logout = await browser.post(LOGOUT_URL, headers=CSRF)
    assert logout.status_code == 204
    assert_cleared(logout)
    assert stored_refresh_token(browser) is None

    refused = await refresh(browser)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "REFRESH_TOKEN_MISSING"}
    presented = await browser.post(REFRESH_URL, headers=with_cookie(str(third)))
    assert presented.status_code == 401
    assert presented.json() == {"detail": "REFRESH_TOKEN_INVALID"}
    for token in (access, again.json()["access_token"]):
        assert (await browser.get(ME_URL, headers=bearer(token))).status_code == 401


async def test_refresh_keeps_the_session_and_its_start(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    await browser_login(browser, user.email)
    await refresh(browser)
    await refresh(browser)

    tokens = await tokens_of(db_session, user)
    assert len(tokens) == 3
    assert len({t.family_id for t in tokens}) == 1
    assert len({t.authenticated_at for t in tokens}) == 1
    assert [t.revoked_at is None for t in tokens] == [False, False, True]
    assert tokens[0].replaced_by_id == tokens[1].id
    assert tokens[1].replaced_by_id == tokens[2].id
    # Each rotation restarts the lifetime: a session in use does not expire.
    assert tokens[0].expires_at < tokens[1].expires_at < tokens[2].expires_at


async def test_refresh_without_cookie_is_401(browser: httpx.AsyncClient) -> None:
    response = await refresh(browser)

    assert response.status_code == 401
    assert response.json() == {"detail": "REFRESH_TOKEN_MISSING"}


async def test_unknown_refresh_token_is_401_and_clears_the_cookie(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.post(
        REFRESH_URL, headers=with_cookie(secrets.token_urlsafe(32))
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "REFRESH_TOKEN_INVALID"}
    assert_cleared(response)


async def test_expired_refresh_token_is_refused(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    token = secrets.token_urlsafe(32)
    past = datetime.now(UTC) - timedelta(seconds=1)
    db_session.add(expired_token(user, token, past))
    await db_session.commit()

    response = await browser.post(REFRESH_URL, headers=with_cookie(token))

    assert response.status_code == 401
    assert response.json() == {"detail": "REFRESH_TOKEN_INVALID"}
    assert_cleared(response)


async def test_refresh_token_of_an_inactive_user_is_refused(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    await browser_login(browser, user.email)
    # Deactivated behind the API's back: the refresh still checks the user.
    await db_session.execute(
        update(User).where(User.email == user.email).values(is_active=False)
    )
    await db_session.commit()

    response = await refresh(browser)

    assert response.status_code == 401
    assert response.json() == {"detail": "REFRESH_TOKEN_INVALID"}


# --- CSRF and CORS ------------------------------------------------------------------


async def test_refresh_without_the_csrf_header_is_403_and_rotates_nothing(
    browser: httpx.AsyncClient, user: User
) -> None:
    await browser_login(browser, user.email)
    token = stored_refresh_token(browser)

    response = await browser.post(REFRESH_URL)

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF_HEADER_MISSING"}
    assert refresh_cookie(response) is None
    assert stored_refresh_token(browser) == token
    assert (await refresh(browser)).status_code == 200


async def test_cookie_logout_without_the_csrf_header_is_403(
    browser: httpx.AsyncClient, user: User
) -> None:
    await browser_login(browser, user.email)

    response = await browser.post(LOGOUT_URL)

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF_HEADER_MISSING"}
    assert (await refresh(browser)).status_code == 200


async def test_preflight_from_an_allowed_origin_allows_the_csrf_header(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.options(
        REFRESH_URL,
        headers={
            "Origin": "https://spa.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-requested-with",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://spa.example.com"
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "x-requested-with" in allowed


async def test_other_origins_get_no_cors_grant(
    browser: httpx.AsyncClient, user: User
) -> None:
    evil = "https://evil.example.net"
    preflight = await browser.options(
        REFRESH_URL,
        headers={
            "Origin": evil,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-requested-with",
        },
    )
    await browser_login(browser, user.email)
    simple = await browser.post(REFRESH_URL, headers={"Origin": evil, **CSRF})

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    # Without Access-Control-Allow-Origin the browser hides the response.
    assert "access-control-allow-origin" not in simple.headers


# --- reuse detection and the two-tab race -------------------------------------------


async def test_reused_refresh_token_revokes_the_whole_session(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    await browser_login(browser, user.email)
    stolen = str(stored_refresh_token(browser))
    refreshed = await refresh(browser)
    access = refreshed.json()["access_token"]
    await rotated_long_ago(db_session, stolen)

    replay = await browser.post(REFRESH_URL, headers=with_cookie(stolen))

    assert replay.status_code == 401
    assert replay.json() == {"detail": "REFRESH_TOKEN_INVALID"}
    assert await live_tokens(db_session, user) == []
    legit = await refresh(browser)
    assert legit.status_code == 401
    assert (await browser.get(ME_URL, headers=bearer(access))).status_code == 401


async def test_reuse_of_an_older_token_is_theft_even_within_the_grace_window(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    await browser_login(browser, user.email)
    first = str(stored_refresh_token(browser))
    await refresh(browser)
    await refresh(browser)

    replay = await browser.post(REFRESH_URL, headers=with_cookie(first))

    assert replay.status_code == 401
    assert await live_tokens(db_session, user) == []


async def test_other_sessions_survive_a_reuse(
    browser: httpx.AsyncClient, isolated_app: FastAPI, user: User
) -> None:
    async with browser_client(isolated_app) as laptop:
        await browser_login(laptop, user.email)
        await browser_login(browser, user.email)
        first = str(stored_refresh_token(browser))
        await refresh(browser)
        await refresh(browser)
        await browser.post(REFRESH_URL, headers=with_cookie(first))

        assert (await refresh(laptop)).status_code == 200


async def test_predecessor_within_the_grace_window_gets_an_access_token_only(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    await browser_login(browser, user.email)
    previous = str(stored_refresh_token(browser))
    await refresh(browser)
    current = stored_refresh_token(browser)

    late_tab = await browser.post(REFRESH_URL, headers=with_cookie(previous))

    assert late_tab.status_code == 200
    assert refresh_cookie(late_tab) is None
    me = await browser.get(ME_URL, headers=bearer(late_tab.json()["access_token"]))
    assert me.status_code == 200
    assert stored_refresh_token(browser) == current
    assert len(await live_tokens(db_session, user)) == 1
    assert (await refresh(browser)).status_code == 200


async def test_predecessor_after_the_grace_window_is_theft(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    db_session: AsyncSession,
) -> None:
    no_grace = app_factory(REFRESH_REUSE_GRACE_SECONDS=0)
    join_test_transaction(no_grace, test_sessionmaker)
    async with browser_client(no_grace) as tab:
        await browser_login(tab, user.email)
        previous = str(stored_refresh_token(tab))
        await refresh(tab)
        await rotated_long_ago(db_session, previous)

        replay = await tab.post(REFRESH_URL, headers=with_cookie(previous))

        assert replay.status_code == 401
        assert await live_tokens(db_session, user) == []


@pytest.mark.parametrize("tabs", [2, 5])
async def test_concurrent_refreshes_rotate_once_and_keep_the_session(
    app: FastAPI, committed_browser: httpx.AsyncClient, tabs: int
) -> None:
    async with app.state.sessionmaker() as session:
        owner = await create_user(app, session, email="tabs@example.com")
    await browser_login(committed_browser, owner.email)
    token = str(stored_refresh_token(committed_browser))

    responses = await asyncio.gather(
        *(
            committed_browser.post(REFRESH_URL, headers=with_cookie(token))
            for _ in range(tabs)
        )
    )

    assert [r.status_code for r in responses] == [200] * tabs
    rotated = [r for r in responses if refresh_cookie(r) is not None]
    assert len(rotated) == 1
    for response in responses:
        me = await committed_browser.get(
            ME_URL, headers=bearer(response.json()["access_token"])
        )
        assert me.status_code == 200
    async with app.state.sessionmaker() as session:
        live = await live_tokens(session, owner)
        assert len(live) == 1
        cookie = refresh_cookie(rotated[0])
        assert cookie is not None
        assert live[0].token_hash == token_hash(cookie.value)
    assert (await refresh(committed_browser)).status_code == 200


# --- logout -----------------------------------------------------------------------


async def test_logout_with_the_cookie_alone_ends_the_session(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    access = await browser_login(browser, user.email)

    response = await browser.post(LOGOUT_URL, headers=CSRF)

    assert response.status_code == 204
    assert_cleared(response)
    assert await live_tokens(db_session, user) == []
    assert (await browser.get(ME_URL, headers=bearer(access))).status_code == 401


async def test_logout_with_the_access_token_alone_ends_its_session(
    client: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    headers = await login(client, user.email)
    other = await login(client, user.email)

    response = await client.post(LOGOUT_URL, headers=headers)

    assert response.status_code == 204
    assert (await client.get(ME_URL, headers=headers)).status_code == 401
    assert (await client.get(ME_URL, headers=other)).status_code == 200
    assert len(await live_tokens(db_session, user)) == 1


async def test_logout_with_an_expired_cookie_still_clears_it(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.post(
        LOGOUT_URL, headers=with_cookie(secrets.token_urlsafe(32))
    )

    assert response.status_code == 204
    assert_cleared(response)


async def test_logout_without_credentials_is_401(browser: httpx.AsyncClient) -> None:
    response = await browser.post(LOGOUT_URL, headers=CSRF)

    assert response.status_code == 401


async def test_logout_with_an_invalid_access_token_is_401(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.post(LOGOUT_URL, headers=bearer("not-a-jwt"))

    assert response.status_code == 401


# --- account events end every session ---------------------------------------------


async def assert_all_sessions_dead(
    browser: httpx.AsyncClient, access: str, refresh_token: str
) -> None:
    assert (await browser.get(ME_URL, headers=bearer(access))).status_code == 401
    response = await browser.post(REFRESH_URL, headers=with_cookie(refresh_token))
    assert response.status_code == 401


@pytest.mark.parametrize("route", ["patch_me", "post_password"])
async def test_password_change_ends_every_session(
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user: User,
    db_session: AsyncSession,
    route: str,
) -> None:
    access = await browser_login(browser, user.email)
    token = str(stored_refresh_token(browser))
    other_device = await login(client, user.email)

    if route == "patch_me":
        changed = await browser.patch(
            ME_URL,
            headers=bearer(access),
            json={"password": NEW_PASSWORD, "current_password": DEFAULT_PASSWORD},
        )
        assert changed.status_code == 200, changed.text
    else:
        changed = await browser.post(
            f"{ME_URL}/password",
            headers=bearer(access),
            json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        )
        assert changed.status_code == 204, changed.text

    await assert_all_sessions_dead(browser, access, token)
    assert (await client.get(ME_URL, headers=other_device)).status_code == 401
    assert await live_tokens(db_session, user) == []
    await browser_login(browser, user.email, NEW_PASSWORD)
    assert (await refresh(browser)).status_code == 200


async def test_a_profile_change_keeps_the_sessions(
    browser: httpx.AsyncClient, user: User
) -> None:
    access = await browser_login(browser, user.email)

    changed = await browser.patch(
        ME_URL, headers=bearer(access), json={"full_name": "Renamed"}
    )

    assert changed.status_code == 200
    assert (await browser.get(ME_URL, headers=bearer(access))).status_code == 200
    assert (await refresh(browser)).status_code == 200


async def test_password_reset_ends_every_session(
    browser: httpx.AsyncClient, user: User, mailbox: Mailbox
) -> None:
    access = await browser_login(browser, user.email)
    token = str(stored_refresh_token(browser))

    forgot = await browser.post(
        "/api/v1/auth/forgot-password", json={"email": user.email}
    )
    assert forgot.status_code == 202
    [email] = await mailbox.wait_for(user.email)
    match = re.search(r"token=([\w.\-]+)", email.part("text/plain"))
    assert match is not None
    reset = await browser.post(
        "/api/v1/auth/reset-password",
        json={"token": match.group(1), "password": NEW_PASSWORD},
    )
    assert reset.status_code == 200, reset.text

    await assert_all_sessions_dead(browser, access, token)


async def test_deactivation_ends_every_session(
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    db_session: AsyncSession,
) -> None:
    access = await browser_login(browser, user.email)
    token = str(stored_refresh_token(browser))

    response = await client.patch(
        f"/api/v1/users/{user.id}", headers=superuser_headers, json={"is_active": False}
    )
    assert response.status_code == 200, response.text

    await assert_all_sessions_dead(browser, access, token)
    assert await live_tokens(db_session, user) == []
    reactivated = await client.patch(
        f"/api/v1/users/{user.id}", headers=superuser_headers, json={"is_active": True}
    )
    assert reactivated.status_code == 200
    await assert_all_sessions_dead(browser, access, token)


async def test_deletion_ends_every_session(
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    db_session: AsyncSession,
) -> None:
    access = await browser_login(browser, user.email)
    token = str(stored_refresh_token(browser))

    response = await client.delete(
        f"/api/v1/users/{user.id}", headers=superuser_headers
    )
    assert response.status_code == 204, response.text

    await assert_all_sessions_dead(browser, access, token)
    remaining = await db_session.scalar(
        select(func.count())
        .select_from(RefreshToken)
        .where(RefreshToken.user_id == user.id)
    )
    assert remaining == 0


async def test_self_deletion_ends_every_session(
    browser: httpx.AsyncClient, user: User
) -> None:
    access = await browser_login(browser, user.email)
    token = str(stored_refresh_token(browser))

    response = await browser.request(
        "DELETE",
        ME_URL,
        headers=bearer(access),
        json={"current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 204, response.text

    await assert_all_sessions_dead(browser, access, token)


# --- cookie settings ----------------------------------------------------------------


async def test_the_secure_flag_can_be_turned_off_outside_production(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
) -> None:
    plain_http = app_factory(REFRESH_COOKIE_SECURE=False, REFRESH_TOKEN_EXPIRE_DAYS=7)
    join_test_transaction(plain_http, test_sessionmaker)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=plain_http), base_url="http://testserver"
    ) as http:
        await browser_login(http, user.email)
        response = await http.post(REFRESH_URL, headers=CSRF)

    assert response.status_code == 200
    cookie = refresh_cookie(response)
    assert cookie is not None
    assert "secure" not in cookie.flags
    assert {"httponly", "samesite=lax"} <= cookie.flags
    assert cookie.attributes["max-age"] == str(7 * 24 * 3600)


async def test_production_cookie_is_secure(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
) -> None:
    production = app_factory(ENVIRONMENT="production", ALLOW_SQLITE_IN_PRODUCTION=True)
    join_test_transaction(production, test_sessionmaker)
    async with browser_client(production) as http:
        response = await http.post(
            LOGIN_URL, data={"username": user.email, "password": DEFAULT_PASSWORD}
        )

    cookie = refresh_cookie(response)
    assert cookie is not None
    assert {"httponly", "secure", "samesite=lax"} <= cookie.flags


def test_production_refuses_an_insecure_cookie() -> None:
    with pytest.raises(ValidationError, match="REFRESH_COOKIE_SECURE"):
        make_settings(
            "postgresql://db.example.com/gatehouse",
            25,
            ENVIRONMENT="production",
            REFRESH_COOKIE_SECURE=False,
        )


def test_a_wildcard_cors_origin_is_refused() -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        make_settings("sqlite:///gatehouse.db", 25, CORS_ORIGINS="*")
