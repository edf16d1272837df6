"""Account self-service: password change, profile changes, deleting one's account."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Item, User
from tests.fixtures.items import create_item
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

ME = "/api/v1/users/me"
PASSWORD = f"{ME}/password"
NEW_PASSWORD = "another-Passphrase-99"


async def stored_user(session: AsyncSession, user: User) -> User | None:
    user_id = user.id  # read before expire_all() unloads it
    session.expire_all()
    return await session.scalar(select(User).where(User.id == user_id))


async def login_status(
    client: httpx.AsyncClient, email: str, password: str
) -> tuple[int, Any]:
    response = await client.post(
        "/api/v1/auth/login", data={"username": email, "password": password}
    )
    return response.status_code, response.json()


async def delete_me(
    client: httpx.AsyncClient, headers: dict[str, str] | None, body: Any
) -> httpx.Response:
    return await client.request("DELETE", ME, json=body, headers=headers)


# --- POST /users/me/password ---------------------------------------------------------


async def test_changing_password_replaces_the_old_one(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        PASSWORD,
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=user_headers,
    )

    assert response.status_code == 204
    assert response.content == b""
    assert await login_status(client, user.email, DEFAULT_PASSWORD) == (
        400,
        {"detail": "LOGIN_BAD_CREDENTIALS"},
    )
    await login(client, user.email, NEW_PASSWORD)


async def test_changing_password_with_a_wrong_current_one_is_400(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        PASSWORD,
        json={"current_password": "not-my-password", "new_password": NEW_PASSWORD},
        headers=user_headers,
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "INVALID_CURRENT_PASSWORD"}
    await login(client, user.email, DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("new_password", "reason"),
    [
        ("short", "at least 8"),
        ("x" * 129, "at most 128"),
    ],
)
async def test_new_password_must_pass_the_registration_policy(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    new_password: str,
    reason: str,
) -> None:
    response = await client.post(
        PASSWORD,
        json={"current_password": DEFAULT_PASSWORD, "new_password": new_password},
        headers=user_headers,
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "UPDATE_USER_INVALID_PASSWORD"
    assert reason in detail["reason"]
    await login(client, user.email, DEFAULT_PASSWORD)


async def test_new_password_containing_the_email_is_refused(
    client: httpx.AsyncClient, isolated_app: FastAPI, db_session: AsyncSession
) -> None:
    margaret = await create_user(isolated_app, db_session, email="margaret@example.com")
    headers = await login(client, margaret.email)

    response = await client.post(
        PASSWORD,
        json={"current_password": DEFAULT_PASSWORD, "new_password": "Margaret-1234!"},
        headers=headers,
    )

    assert response.status_code == 400
    assert response.json()["detail"]["code"] == "UPDATE_USER_INVALID_PASSWORD"


@pytest.mark.parametrize("missing", ["current_password", "new_password"])
async def test_changing_password_needs_both_fields(
    client: httpx.AsyncClient, user_headers: dict[str, str], missing: str
) -> None:
    body = {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    del body[missing]

    response = await client.post(PASSWORD, json=body, headers=user_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", missing]


async def test_changing_password_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        PASSWORD,
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 401


# --- PATCH /users/me ---------------------------------------------------------------


async def test_patch_password_without_current_password_is_400(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME, json={"password": NEW_PASSWORD}, headers=user_headers
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "INVALID_CURRENT_PASSWORD"}
    await login(client, user.email, DEFAULT_PASSWORD)


async def test_patch_password_with_a_wrong_current_password_is_400(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME,
        json={"password": NEW_PASSWORD, "current_password": "wrong-password"},
        headers=user_headers,
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "INVALID_CURRENT_PASSWORD"}
    await login(client, user.email, DEFAULT_PASSWORD)


async def test_patch_password_with_the_current_password_changes_it(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME,
        json={"password": NEW_PASSWORD, "current_password": DEFAULT_PASSWORD},
        headers=user_headers,
    )

    assert response.status_code == 200
    assert (await login_status(client, user.email, DEFAULT_PASSWORD))[0] == 400
    await login(client, user.email, NEW_PASSWORD)


async def test_patch_weak_password_is_400_with_the_reason(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME,
        json={"password": "short", "current_password": DEFAULT_PASSWORD},
        headers=user_headers,
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "UPDATE_USER_INVALID_PASSWORD"
    assert "at least 8" in detail["reason"]


async def test_patch_name_needs_no_password(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME, json={"full_name": "New Name"}, headers=user_headers
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "New Name"


async def test_patch_with_a_wrong_current_password_is_refused_even_if_unneeded(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME,
        json={"full_name": "New Name", "current_password": "wrong-password"},
        headers=user_headers,
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "INVALID_CURRENT_PASSWORD"}
    assert (await client.get(ME, headers=user_headers)).json()["full_name"] == (
        user.full_name
    )


async def test_patch_email_unverifies_and_mails_the_new_address(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    mailbox: Mailbox,
) -> None:

    response = await client.patch(
        ME,
        json={"email": "Moved.Here@example.com", "current_password": DEFAULT_PASSWORD},
        headers=user_headers,
    )

    assert response.status_code == 200
    assert response.json()["email"] == "Moved.Here@example.com"
    assert response.json()["is_verified"] is False
    [email] = await mailbox.wait_for("moved.here@example.com")
    assert "/verify-email?token=" in email.part("text/plain")
    stored = await stored_user(db_session, user)
    assert stored is not None
    assert (stored.email, stored.is_verified) == ("Moved.Here@example.com", False)
    await login(client, "moved.here@example.com")


async def test_patch_email_taken_in_other_case_is_400(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_user(isolated_app, db_session, email="someone@example.com")

    response = await client.patch(
        ME,
        json={"email": "SomeOne@example.com", "current_password": DEFAULT_PASSWORD},
        headers=user_headers,
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "UPDATE_USER_EMAIL_ALREADY_EXISTS"}
    unchanged = await stored_user(db_session, user)
    assert unchanged is not None
    assert unchanged.email == user.email


async def test_patch_cannot_grant_privileges(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    response = await client.patch(
        ME, json={"is_superuser": True, "full_name": "Sneaky"}, headers=user_headers
    )

    assert response.status_code == 200
    assert response.json()["is_superuser"] is False
    stored = await stored_user(db_session, user)
    assert stored is not None
    assert (stored.is_superuser, stored.full_name) == (False, "Sneaky")


# --- DELETE /users/me --------------------------------------------------------------


async def test_deleting_my_account_removes_it_and_my_items(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    await create_item(db_session, user, "mine")
    email = user.email

    response = await delete_me(
        client, user_headers, {"current_password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 204
    assert response.content == b""
    assert await stored_user(db_session, user) is None
    assert (await db_session.scalars(select(Item))).all() == []
    assert (await login_status(client, email, DEFAULT_PASSWORD))[0] == 400
    assert (await client.get(ME, headers=user_headers)).status_code == 401


async def test_deleting_my_account_with_a_wrong_password_is_400(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
) -> None:
    response = await delete_me(client, user_headers, {"current_password": "nope-nope"})

    assert response.status_code == 400
    assert response.json() == {"detail": "INVALID_CURRENT_PASSWORD"}
    assert await stored_user(db_session, user) is not None


@pytest.mark.parametrize("body", [None, {}, {"password": DEFAULT_PASSWORD}])
async def test_deleting_my_account_needs_current_password(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    body: Any,
) -> None:
    response = await delete_me(client, user_headers, body)

    assert response.status_code == 422
    assert await stored_user(db_session, user) is not None


async def test_deleting_my_account_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await delete_me(client, None, {"current_password": DEFAULT_PASSWORD})

    assert response.status_code == 401


async def test_last_active_superuser_cannot_delete_their_account(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    await create_user(isolated_app, db_session, is_superuser=True, is_active=False)

    response = await delete_me(
        client, superuser_headers, {"current_password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "LAST_SUPERUSER"}
    assert await stored_user(db_session, superuser) is not None


async def test_superuser_deletes_their_account_while_another_remains(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    await create_user(isolated_app, db_session, is_superuser=True)

    response = await delete_me(
        client, superuser_headers, {"current_password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 204
    assert await stored_user(db_session, superuser) is None
