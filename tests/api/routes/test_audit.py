"""The audit trail: every security event is recorded, and superusers list them."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import session_scope
from app.models import AuditEvent, User
from app.models.audit_event import AuditEventKind
from tests.fixtures.app import FRONTEND_URL
from tests.fixtures.sessions import refresh_cookie, with_cookie
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

EVENTS = "/api/v1/audit-events"
LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"
NEW_PASSWORD = "another-Long-passphrase-7"
USER_AGENT = "AuditTest/1.0 (gatehouse)"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def user_url(user_id: uuid.UUID) -> str:
    return f"/api/v1/users/{user_id}"


async def list_events(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(EVENTS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def the_event(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    kind: AuditEventKind,
    **params: Any,
) -> dict[str, Any]:
    """The one event of `kind` matching `params`."""
    items = await list_events(client, headers, kind=kind.value, **params)
    assert len(items) == 1, items
    return items[0]


def token_in(email_text: str, path: str) -> str:
    match = re.search(
        rf"{re.escape(FRONTEND_URL + path)}\?token=([^\s\"'<>]+)", email_text
    )
    assert match is not None, email_text
    return match.group(1)


# --- each event is written ------------------------------------------------------


async def test_login_success_is_recorded_with_ip_and_user_agent(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(
        LOGIN,
        data={"username": user.email, "password": DEFAULT_PASSWORD},
        headers={"User-Agent": USER_AGENT},
    )
    assert response.status_code == 200

    event = await the_event(
        client, superuser_headers, AuditEventKind.LOGIN_SUCCEEDED, user_id=user.id
    )
    assert event["actor_user_id"] == event["target_user_id"] == str(user.id)
    assert event["target_email"] == user.email
    assert event["ip"] == "127.0.0.1"
    assert event["user_agent"] == USER_AGENT
    assert event["details"] == {"method": "password"}
    assert datetime.fromisoformat(event["created_at"]).tzinfo is not None


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(
        LOGIN,
        data={"username": user.email, "password": DEFAULT_PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.9", "User-Agent": "x\x7f" * 400},
    )
    assert response.status_code == 200

    event = await the_event(
        client, superuser_headers, AuditEventKind.LOGIN_SUCCEEDED, user_id=user.id
    )
    assert event["ip"] == "127.0.0.1"
    assert event["user_agent"] == "x" * 400  # control characters dropped


async def test_failed_login_is_recorded_though_the_request_rolls_back(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    wrong = "Wrong-passphrase-123"
    response = await client.post(
        LOGIN, data={"username": user.email.upper(), "password": wrong}
    )
    assert response.status_code == 400

    event = await the_event(
        client, superuser_headers, AuditEventKind.LOGIN_FAILED, user_id=user.id
    )
    assert event["actor_user_id"] is None
    assert event["target_user_id"] == str(user.id)
    assert event["target_email"] == user.email.upper()
    assert event["ip"] == "127.0.0.1"
    listing = await client.get(EVENTS, headers=superuser_headers)
    assert wrong not in listing.text


async def test_failed_login_is_committed_on_its_own_connection(
    app: FastAPI, committed_client: httpx.AsyncClient
) -> None:
    """Outside the test transaction: the request's session must be closed before
    the event's own transaction starts (SQLite allows one writer at a time)."""
    async with session_scope(app.state.sessionmaker) as session:
        await create_user(app, session, email="root@example.com", is_superuser=True)
    response = await committed_client.post(
        LOGIN, data={"username": "root@example.com", "password": "Wrong-pass-123"}
    )
    assert response.status_code == 400

    headers = await login(committed_client, "root@example.com")
    items = await list_events(
        committed_client, headers, kind=AuditEventKind.LOGIN_FAILED.value
    )
    assert [event["target_email"] for event in items] == ["root@example.com"]


async def test_failed_login_for_an_unknown_email_keeps_the_address(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(
        LOGIN, data={"username": "nobody@example.com", "password": "Whatever-123"}
    )
    assert response.status_code == 400

    [event] = await list_events(
        client, superuser_headers, kind=AuditEventKind.LOGIN_FAILED.value
    )
    assert event["target_user_id"] is None
    assert event["target_email"] == "nobody@example.com"


async def test_failed_login_of_a_deactivated_user_is_recorded(
    client: httpx.AsyncClient,
    user: User,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    user.is_active = False
    await db_session.commit()
    response = await client.post(
        LOGIN, data={"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 400

    await the_event(
        client, superuser_headers, AuditEventKind.LOGIN_FAILED, user_id=user.id
    )


async def test_logout_with_the_access_token_is_recorded(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    superuser_headers: dict[str, str],
) -> None:
    response = await client.post(LOGOUT, headers=user_headers)
    assert response.status_code == 204

    event = await the_event(
        client, superuser_headers, AuditEventKind.LOGOUT, user_id=user.id
    )
    assert event["actor_user_id"] == event["target_user_id"] == str(user.id)


async def test_logout_with_the_refresh_cookie_only_is_recorded(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(
        LOGIN, data={"username": user.email, "password": DEFAULT_PASSWORD}
    )
    cookie = refresh_cookie(response)
    assert cookie is not None

    logout = await client.post(LOGOUT, headers=with_cookie(cookie.value))
    assert logout.status_code == 204

    event = await the_event(
        client, superuser_headers, AuditEventKind.LOGOUT, user_id=user.id
    )
    assert event["target_email"] == user.email


async def test_logout_with_an_unknown_cookie_records_nothing(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(LOGOUT, headers=with_cookie("not-a-stored-token"))
    assert response.status_code == 204

    assert (
        await list_events(client, superuser_headers, kind=AuditEventKind.LOGOUT.value)
        == []
    )


async def test_password_change_is_recorded_without_the_password(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    superuser_headers: dict[str, str],
) -> None:
    response = await client.post(
        f"{ME}/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=user_headers,
    )
    assert response.status_code == 204

    event = await the_event(
        client, superuser_headers, AuditEventKind.PASSWORD_CHANGED, user_id=user.id
    )
    assert event["actor_user_id"] == str(user.id)
    listing = await client.get(EVENTS, headers=superuser_headers)
    assert NEW_PASSWORD not in listing.text
    assert DEFAULT_PASSWORD not in listing.text


async def test_password_set_by_a_superuser_is_recorded_with_the_superuser_as_actor(
    client: httpx.AsyncClient,
    user: User,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    response = await client.patch(
        user_url(user.id), json={"password": NEW_PASSWORD}, headers=superuser_headers
    )
    assert response.status_code == 200

    event = await the_event(
        client, superuser_headers, AuditEventKind.PASSWORD_CHANGED, user_id=user.id
    )
    assert event["actor_user_id"] == str(superuser.id)
    assert event["target_user_id"] == str(user.id)


async def test_refused_password_change_records_nothing(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    superuser_headers: dict[str, str],
) -> None:
    response = await client.post(
        f"{ME}/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "short"},
        headers=user_headers,
    )
    assert response.status_code == 400

    kind = AuditEventKind.PASSWORD_CHANGED.value
    assert await list_events(client, superuser_headers, kind=kind) == []


async def test_password_reset_is_recorded(
    client: httpx.AsyncClient,
    user: User,
    mailbox: Mailbox,
    superuser_headers: dict[str, str],
) -> None:
    await client.post("/api/v1/auth/forgot-password", json={"email": user.email})
    [email] = await mailbox.wait_for(user.email)
    token = token_in(email.part("text/plain"), "/reset-password")

    response = await client.post(
        "/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}
    )
    assert response.status_code == 200

    event = await the_event(
        client, superuser_headers, AuditEventKind.PASSWORD_RESET, user_id=user.id
    )
    assert event["actor_user_id"] is None  # a token link: nobody logged in
    assert event["target_email"] == user.email
    listing = await client.get(EVENTS, headers=superuser_headers)
    assert token not in listing.text


async def test_email_change_is_recorded_with_both_addresses(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    superuser_headers: dict[str, str],
) -> None:
    old_email = user.email
    response = await client.patch(
        ME,
        json={"email": "renamed@example.com", "current_password": DEFAULT_PASSWORD},
        headers=user_headers,
    )
    assert response.status_code == 200

    event = await the_event(
        client, superuser_headers, AuditEventKind.EMAIL_CHANGED, user_id=user.id
    )
    assert event["actor_user_id"] == str(user.id)
    assert event["target_email"] == "renamed@example.com"
    assert event["details"] == {
        "old_email": old_email,
        "new_email": "renamed@example.com",
    }


async def test_an_update_of_other_fields_records_nothing(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    superuser_headers: dict[str, str],
) -> None:
    response = await client.patch(
        ME, json={"full_name": "New Name"}, headers=user_headers
    )
    assert response.status_code == 200

    kinds = {
        event["kind"]
        for event in await list_events(client, superuser_headers, user_id=user.id)
    }
    assert kinds == {AuditEventKind.LOGIN_SUCCEEDED.value}


async def test_verification_is_recorded(
    client: httpx.AsyncClient, mailbox: Mailbox, superuser_headers: dict[str, str]
) -> None:
    registered = await client.post(
        "/api/v1/auth/register",
        json={"email": "verify.me@example.com", "password": DEFAULT_PASSWORD},
    )
    assert registered.status_code == 201
    [email] = await mailbox.wait_for("verify.me@example.com")
    token = token_in(email.part("text/plain"), "/verify-email")

    response = await client.post("/api/v1/auth/verify", json={"token": token})
    assert response.status_code == 200

    event = await the_event(
        client,
        superuser_headers,
        AuditEventKind.EMAIL_VERIFIED,
        user_id=registered.json()["id"],
    )
    assert event["target_email"] == "verify.me@example.com"


async def test_deactivation_is_recorded_with_the_superuser_as_actor(
    client: httpx.AsyncClient,
    user: User,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    response = await client.patch(
        user_url(user.id), json={"is_active": False}, headers=superuser_headers
    )
    assert response.status_code == 200

    event = await the_event(
        client, superuser_headers, AuditEventKind.USER_DEACTIVATED, user_id=user.id
    )
    assert event["actor_user_id"] == str(superuser.id)
    assert event["target_user_id"] == str(user.id)


@pytest.mark.parametrize(
    ("flag", "kind"),
    [
        (True, AuditEventKind.SUPERUSER_GRANTED),
        (False, AuditEventKind.SUPERUSER_REVOKED),
    ],
)
async def test_superuser_grant_and_revoke_are_recorded(
    client: httpx.AsyncClient,
    user: User,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
    flag: bool,
    kind: AuditEventKind,
) -> None:
    user.is_superuser = not flag
    await db_session.commit()

    response = await client.patch(
        user_url(user.id), json={"is_superuser": flag}, headers=superuser_headers
    )
    assert response.status_code == 200

    event = await the_event(client, superuser_headers, kind, user_id=user.id)
    assert event["actor_user_id"] == str(superuser.id)
    # Setting the flag to the value it has is no event.
    again = await client.patch(
        user_url(user.id), json={"is_superuser": flag}, headers=superuser_headers
    )
    assert again.status_code == 200
    await the_event(client, superuser_headers, kind, user_id=user.id)


async def test_deletion_by_a_superuser_is_recorded_and_the_trail_survives_it(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    response = await client.delete(user_url(user.id), headers=superuser_headers)
    assert response.status_code == 204

    [deleted] = await list_events(
        client, superuser_headers, kind=AuditEventKind.USER_DELETED.value
    )
    assert deleted["actor_user_id"] == str(superuser.id)
    assert deleted["target_user_id"] is None
    assert deleted["target_email"] == user.email
    assert deleted["details"] == {"user_id": str(user.id)}
    logins = await list_events(
        client, superuser_headers, kind=AuditEventKind.LOGIN_SUCCEEDED.value
    )
    [user_login] = [e for e in logins if e["target_email"] == user.email]
    assert user_login["actor_user_id"] is None
    assert user_login["target_user_id"] is None


async def test_deleting_ones_own_account_is_recorded(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    superuser_headers: dict[str, str],
) -> None:
    response = await client.request(
        "DELETE",
        ME,
        json={"current_password": DEFAULT_PASSWORD},
        headers=user_headers,
    )
    assert response.status_code == 204

    [deleted] = await list_events(
        client, superuser_headers, kind=AuditEventKind.USER_DELETED.value
    )
    assert deleted["actor_user_id"] is None  # the actor's row is gone too
    assert deleted["target_email"] == user.email
    assert deleted["details"] == {"user_id": str(user.id)}


async def test_a_refused_deletion_records_nothing(
    client: httpx.AsyncClient,
    user_headers: dict[str, str],
    superuser_headers: dict[str, str],
) -> None:
    response = await client.request(
        "DELETE", ME, json={"current_password": "Wrong-pass-123"}, headers=user_headers
    )
    assert response.status_code == 400

    kind = AuditEventKind.USER_DELETED.value
    assert await list_events(client, superuser_headers, kind=kind) == []


# --- GET /audit-events ------------------------------------------------------------


async def test_listing_events_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get(EVENTS)).status_code == 401


async def test_ordinary_users_cannot_list_events(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(EVENTS, headers=user_headers)
    assert response.status_code == 403


async def test_the_listing_authenticates_its_caller_for_the_access_log(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    superuser: User,
) -> None:
    with caplog.at_level("INFO", logger="app.access"):
        await client.get(EVENTS, headers=superuser_headers)

    [line] = [r for r in caplog.records if r.name == "app.access"]
    assert getattr(line, "user_id", None) == str(superuser.id)


@pytest.fixture
async def dated_logins(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    superuser: User,
    superuser_headers: dict[str, str],
) -> list[datetime]:
    """Four more logins (two of the user's, two failed), dated a day apart.

    The superuser's own login (from `superuser_headers`) is dated T0.
    """
    await login(client, user.email)
    await login(client, user.email)
    for _ in range(2):
        await client.post(LOGIN, data={"username": user.email, "password": "x"})
    events = list(await db_session.scalars(select(AuditEvent)))
    assert len(events) == 5
    events.sort(key=lambda event: (event.target_user_id != superuser.id, event.id))
    moments = [T0 + timedelta(days=day) for day in range(len(events))]
    for event, moment in zip(events, moments, strict=True):
        event.created_at = moment
    await db_session.commit()
    return moments


async def test_events_are_listed_newest_first_and_paginated(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    dated_logins: list[datetime],
) -> None:
    first = await client.get(EVENTS, params={"limit": 1}, headers=superuser_headers)
    response = await client.get(
        EVENTS,
        params={"limit": 2, "cursor": first.json()["next_cursor"], "count": "exact"},
        headers=superuser_headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"]) == (5, 2)
    assert body["next_cursor"]
    created = [datetime.fromisoformat(e["created_at"]) for e in body["items"]]
    assert created == [dated_logins[3], dated_logins[2]]


async def test_events_can_be_listed_oldest_first(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    dated_logins: list[datetime],
) -> None:
    items = await list_events(client, superuser_headers, sort="created_at")

    assert [datetime.fromisoformat(e["created_at"]) for e in items] == dated_logins


async def test_events_are_filtered_by_user_kind_and_time(
    client: httpx.AsyncClient,
    user: User,
    superuser: User,
    superuser_headers: dict[str, str],
    dated_logins: list[datetime],
) -> None:
    mine = await list_events(client, superuser_headers, user_id=superuser.id)
    assert [e["target_email"] for e in mine] == [superuser.email]
    theirs = await list_events(client, superuser_headers, user_id=user.id)
    assert len(theirs) == 4
    failed = await list_events(
        client,
        superuser_headers,
        user_id=user.id,
        kind=AuditEventKind.LOGIN_FAILED.value,
    )
    assert len(failed) == 2
    window = await list_events(
        client,
        superuser_headers,
        created_after=dated_logins[1].isoformat(),
        created_before="2024-01-04T00:00:00",  # no zone: UTC
    )
    assert [datetime.fromisoformat(e["created_at"]) for e in window] == [
        dated_logins[2],
        dated_logins[1],
    ]


async def test_filter_by_an_actor_finds_what_they_did_to_others(
    client: httpx.AsyncClient,
    user: User,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    await client.patch(
        user_url(user.id), json={"is_active": False}, headers=superuser_headers
    )

    kinds = [
        e["kind"]
        for e in await list_events(client, superuser_headers, user_id=superuser.id)
    ]
    assert sorted(kinds) == ["login.succeeded", "user.deactivated"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "login.hacked"}, "kind"),
        ({"user_id": "not-a-uuid"}, "user_id"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"sort": "kind"}, "sort"),
        ({"limit": 0}, "limit"),
    ],
)
async def test_bad_listing_parameters_are_422_naming_the_field(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    params: dict[str, Any],
    field: str,
) -> None:
    response = await client.get(EVENTS, params=params, headers=superuser_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]
