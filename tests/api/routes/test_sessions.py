"""The current user's sessions: list, end one, sign out everywhere else."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI

from app.models import User
from tests.fixtures.sessions import (
    ME_URL,
    REFRESH_URL,
    SESSIONS_URL,
    bearer,
    browser_client,
    browser_login,
    refresh,
    stored_refresh_token,
    with_cookie,
)
from tests.fixtures.users import login


@pytest.fixture
async def phone(isolated_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_client(isolated_app) as http:
        http.headers["User-Agent"] = "TestPhone/2.0"
        yield http


async def list_sessions(
    client: httpx.AsyncClient, access: str, **params: str | int
) -> httpx.Response:
    """One page, with its exact total."""
    query = {"count": "exact", **params}
    return await client.get(SESSIONS_URL, headers=bearer(access), params=query)


async def session_id_of(client: httpx.AsyncClient, access: str) -> str:
    listed = await list_sessions(client, access)
    [current] = [s for s in listed.json()["items"] if s["current"]]
    session_id: str = current["id"]
    return session_id


async def test_each_login_is_one_session_and_the_current_is_marked(
    browser: httpx.AsyncClient, phone: httpx.AsyncClient, user: User
) -> None:
    await browser_login(phone, user.email)
    await browser_login(browser, user.email)
    await refresh(browser)
    access = (await refresh(browser)).json()["access_token"]

    response = await list_sessions(browser, access)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert body["limit"] == 20
    assert body["next_cursor"] is None
    by_agent = {s["user_agent"]: s for s in body["items"]}
    assert set(by_agent) == {"TestBrowser/1.0", "TestPhone/2.0"}
    assert by_agent["TestBrowser/1.0"]["current"] is True
    assert by_agent["TestPhone/2.0"]["current"] is False
    mine = by_agent["TestBrowser/1.0"]
    assert set(mine) == {
        "id",
        "user_agent",
        "ip",
        "created_at",
        "last_used_at",
        "expires_at",
        "current",
    }
    assert uuid.UUID(mine["id"])
    assert mine["ip"] == "127.0.0.1"
    created = datetime.fromisoformat(mine["created_at"])
    last_used = datetime.fromisoformat(mine["last_used_at"])
    assert created < last_used < datetime.fromisoformat(mine["expires_at"])
    # Newest activity first by default.
    assert body["items"][0]["user_agent"] == "TestBrowser/1.0"


async def test_the_session_id_is_stable_across_refreshes(
    browser: httpx.AsyncClient, user: User
) -> None:
    access = await browser_login(browser, user.email)
    before = await session_id_of(browser, access)

    refreshed = (await refresh(browser)).json()["access_token"]

    assert await session_id_of(browser, refreshed) == before


async def test_other_users_sessions_are_not_listed(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, user: User, superuser: User
) -> None:
    await login(client, superuser.email)
    access = await browser_login(browser, user.email)

    body = (await list_sessions(browser, access)).json()

    assert body["total"] == 1
    assert [s["current"] for s in body["items"]] == [True]


async def test_sessions_are_paginated_and_sortable(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, user: User
) -> None:
    await login(client, user.email)
    await login(client, user.email)
    access = await browser_login(browser, user.email)

    page = (await list_sessions(browser, access, limit=2, sort="created_at")).json()
    rest = (
        await list_sessions(
            browser, access, limit=2, cursor=page["next_cursor"], sort="created_at"
        )
    ).json()

    assert page["total"] == rest["total"] == 3
    assert len(page["items"]) == 2
    assert [s["current"] for s in page["items"] + rest["items"]] == [
        False,
        False,
        True,
    ]


@pytest.mark.parametrize(
    ("params", "field"), [({"sort": "ip"}, "sort"), ({"limit": 0}, "limit")]
)
async def test_bad_listing_parameters_are_422(
    browser: httpx.AsyncClient,
    user: User,
    params: dict[str, str | int],
    field: str,
) -> None:
    access = await browser_login(browser, user.email)

    response = await list_sessions(browser, access, **params)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", SESSIONS_URL),
        ("DELETE", SESSIONS_URL),
        ("DELETE", f"{SESSIONS_URL}/{uuid.uuid4()}"),
    ],
)
async def test_sessions_need_an_access_token(
    browser: httpx.AsyncClient, user: User, method: str, path: str
) -> None:
    await browser_login(browser, user.email)  # a refresh cookie is not enough

    response = await browser.request(method, path)

    assert response.status_code == 401


async def test_revoking_a_session_ends_it_at_once(
    browser: httpx.AsyncClient, phone: httpx.AsyncClient, user: User
) -> None:
    phone_access = await browser_login(phone, user.email)
    phone_session = await session_id_of(phone, phone_access)
    access = await browser_login(browser, user.email)

    response = await browser.delete(
        f"{SESSIONS_URL}/{phone_session}", headers=bearer(access)
    )

    assert response.status_code == 204
    assert (await phone.get(ME_URL, headers=bearer(phone_access))).status_code == 401
    assert (await refresh(phone)).status_code == 401
    assert (await list_sessions(browser, access)).json()["total"] == 1
    assert (await refresh(browser)).status_code == 200


async def test_revoking_the_current_session_logs_it_out(
    browser: httpx.AsyncClient, user: User
) -> None:
    access = await browser_login(browser, user.email)
    current = await session_id_of(browser, access)

    response = await browser.delete(f"{SESSIONS_URL}/{current}", headers=bearer(access))

    assert response.status_code == 204
    assert (await browser.get(ME_URL, headers=bearer(access))).status_code == 401
    assert (await refresh(browser)).status_code == 401


async def test_someone_elses_session_is_404(
    browser: httpx.AsyncClient, phone: httpx.AsyncClient, user: User, superuser: User
) -> None:
    phone_access = await browser_login(phone, user.email)
    phone_session = await session_id_of(phone, phone_access)
    other_access = await browser_login(browser, superuser.email)

    response = await browser.delete(
        f"{SESSIONS_URL}/{phone_session}", headers=bearer(other_access)
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "SESSION_NOT_FOUND"}
    assert (await phone.get(ME_URL, headers=bearer(phone_access))).status_code == 200


async def test_unknown_or_ended_session_is_404(
    browser: httpx.AsyncClient, phone: httpx.AsyncClient, user: User
) -> None:
    phone_access = await browser_login(phone, user.email)
    phone_session = await session_id_of(phone, phone_access)
    access = await browser_login(browser, user.email)
    await browser.delete(f"{SESSIONS_URL}/{phone_session}", headers=bearer(access))

    ended = await browser.delete(
        f"{SESSIONS_URL}/{phone_session}", headers=bearer(access)
    )
    unknown = await browser.delete(
        f"{SESSIONS_URL}/{uuid.uuid4()}", headers=bearer(access)
    )

    assert ended.status_code == unknown.status_code == 404
    assert unknown.json() == {"detail": "SESSION_NOT_FOUND"}


async def test_a_malformed_session_id_is_422(
    browser: httpx.AsyncClient, user: User
) -> None:
    access = await browser_login(browser, user.email)

    response = await browser.delete(
        f"{SESSIONS_URL}/not-a-uuid", headers=bearer(access)
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "session_id"]


async def test_sign_out_everywhere_else_keeps_only_the_current_session(
    browser: httpx.AsyncClient,
    phone: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user: User,
) -> None:
    phone_access = await browser_login(phone, user.email)
    script = await login(client, user.email)
    access = await browser_login(browser, user.email)

    response = await browser.delete(SESSIONS_URL, headers=bearer(access))

    assert response.status_code == 204
    assert (await phone.get(ME_URL, headers=bearer(phone_access))).status_code == 401
    assert (await refresh(phone)).status_code == 401
    assert (await client.get(ME_URL, headers=script)).status_code == 401
    assert (await browser.get(ME_URL, headers=bearer(access))).status_code == 200
    body = (await list_sessions(browser, access)).json()
    assert [s["current"] for s in body["items"]] == [True]
    assert (await refresh(browser)).status_code == 200


async def test_sign_out_everywhere_else_leaves_other_users_alone(
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
) -> None:
    access = await browser_login(browser, user.email)

    await browser.delete(SESSIONS_URL, headers=bearer(access))

    assert (await client.get(ME_URL, headers=superuser_headers)).status_code == 200


async def test_a_revoked_sessions_old_cookie_cannot_come_back(
    browser: httpx.AsyncClient, phone: httpx.AsyncClient, user: User
) -> None:
    await browser_login(phone, user.email)
    phone_token = str(stored_refresh_token(phone))
    access = await browser_login(browser, user.email)
    await browser.delete(SESSIONS_URL, headers=bearer(access))

    response = await browser.post(REFRESH_URL, headers=with_cookie(phone_token))

    assert response.status_code == 401
    assert response.json() == {"detail": "REFRESH_TOKEN_INVALID"}
