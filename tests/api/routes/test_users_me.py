"""The current user's profile and superuser access to one user (fastapi-users)."""

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from tests.fixtures.users import create_user, login

ME = "/api/v1/users/me"


def user_url(user_id: uuid.UUID | str) -> str:
    return f"/api/v1/users/{user_id}"


async def stored_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id, populate_existing=True)


# --- GET /users/me ---------------------------------------------------------


async def test_me_returns_the_profile(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.get(ME, headers=user_headers)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["email"] == user.email
    assert body["full_name"] == "Ordinary User"
    assert (body["is_active"], body["is_superuser"], body["is_verified"]) == (
        True,
        False,
        True,
    )
    assert {"created_at", "updated_at"} <= set(body)
    assert "hashed_password" not in body


async def test_me_without_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get(ME)).status_code == 401
    assert (await client.patch(ME, json={"full_name": "X"})).status_code == 401


# --- PATCH /users/me -------------------------------------------------------


async def test_update_me_changes_the_full_name(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME, json={"full_name": "  Renamed Person  "}, headers=user_headers
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "Renamed Person"
    again = await client.get(ME, headers=user_headers)
    assert again.json()["full_name"] == "Renamed Person"


async def test_update_me_with_null_full_name_clears_it(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"full_name": None}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["full_name"] is None


async def test_update_me_with_empty_body_changes_nothing(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["full_name"] == "Ordinary User"
    assert response.json()["email"] == user.email


@pytest.mark.parametrize("field", ["email", "is_active", "password"])
async def test_update_me_with_null_for_a_required_field_is_422(
    client: httpx.AsyncClient, user_headers: dict[str, str], field: str
) -> None:
    response = await client.patch(ME, json={field: None}, headers=user_headers)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]


async def test_update_me_to_own_email_in_other_case_keeps_verification(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.patch(
        ME, json={"email": user.email.upper()}, headers=user_headers
    )

    assert response.status_code == 200
    assert response.json()["is_verified"] is True


async def test_update_me_with_invalid_email_is_422(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.patch(ME, json={"email": "nope"}, headers=user_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


async def test_update_me_ignores_privilege_fields(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
) -> None:
    unverified = await create_user(isolated_app, db_session, is_verified=False)
    headers = await login(client, unverified.email)

    response = await client.patch(
        ME,
        json={"is_superuser": True, "is_verified": True, "is_active": False},
        headers=headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["is_superuser"], body["is_verified"], body["is_active"]) == (
        False,
        False,
        True,
    )
    stored = await stored_user(db_session, unverified.id)
    assert stored is not None
    assert (stored.is_superuser, stored.is_verified, stored.is_active) == (
        False,
        False,
        True,
    )


# --- /users/{id}: superusers only ------------------------------------------


async def test_ordinary_user_gets_403_on_other_users(
    client: httpx.AsyncClient,
    user_headers: dict[str, str],
    superuser: User,
) -> None:
    url = user_url(superuser.id)

    get = await client.get(url, headers=user_headers)
    patch = await client.patch(url, json={"full_name": "X"}, headers=user_headers)
    delete = await client.delete(url, headers=user_headers)

    assert [get.status_code, patch.status_code, delete.status_code] == [403] * 3
    assert get.json() == {"detail": "PERMISSION_DENIED"}


async def test_ordinary_user_gets_403_on_own_id(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.get(user_url(user.id), headers=user_headers)

    assert response.status_code == 403


async def test_user_by_id_without_token_is_401(
    client: httpx.AsyncClient, user: User
) -> None:
    url = user_url(user.id)

    responses = [
        await client.get(url),
        await client.patch(url, json={"full_name": "X"}),
        await client.delete(url),
    ]

    assert [r.status_code for r in responses] == [401] * 3


async def test_superuser_reads_a_user(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.get(user_url(user.id), headers=superuser_headers)

    assert response.status_code == 200
    assert response.json()["id"] == str(user.id)
    assert response.json()["email"] == user.email


@pytest.mark.parametrize(
    "user_id", [str(uuid.uuid4()), "not-a-uuid", "123"], ids=["unknown", "bad", "int"]
)
async def test_unknown_or_malformed_user_id_is_404(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], user_id: str
) -> None:
    url = user_url(user_id)

    get = await client.get(url, headers=superuser_headers)
    patch = await client.patch(url, json={"full_name": "X"}, headers=superuser_headers)
    delete = await client.delete(url, headers=superuser_headers)

    assert [get.status_code, patch.status_code, delete.status_code] == [404] * 3
    assert get.json() == {"detail": "USER_NOT_FOUND"}


async def test_superuser_updates_a_user(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    db_session: AsyncSession,
) -> None:
    response = await client.patch(
        user_url(user.id),
        json={"full_name": "Edited", "is_superuser": True, "is_verified": False},
        headers=superuser_headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["full_name"], body["is_superuser"], body["is_verified"]) == (
        "Edited",
        True,
        False,
    )
    stored = await stored_user(db_session, user.id)
    assert stored is not None
    assert (stored.full_name, stored.is_superuser) == ("Edited", True)


async def test_superuser_deactivating_a_user_locks_them_out(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    superuser_headers: dict[str, str],
) -> None:
    response = await client.patch(
        user_url(user.id), json={"is_active": False}, headers=superuser_headers
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert (await client.get(ME, headers=user_headers)).status_code == 401


async def test_superuser_changing_email_to_a_taken_one_is_400(
    client: httpx.AsyncClient,
    user: User,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    response = await client.patch(
        user_url(user.id),
        json={"email": superuser.email.upper()},
        headers=superuser_headers,
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "UPDATE_USER_EMAIL_ALREADY_EXISTS"}


@pytest.mark.parametrize(
    "field", ["email", "is_active", "is_superuser", "is_verified", "password"]
)
async def test_superuser_update_with_null_for_a_required_field_is_422(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    db_session: AsyncSession,
    field: str,
) -> None:
    response = await client.patch(
        user_url(user.id), json={field: None}, headers=superuser_headers
    )

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]
    stored = await stored_user(db_session, user.id)
    assert stored is not None
    assert stored.is_active is True


async def test_superuser_deletes_a_user(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    db_session: AsyncSession,
) -> None:
    user_id = user.id

    response = await client.delete(user_url(user_id), headers=superuser_headers)

    assert response.status_code == 204
    assert response.content == b""
    assert await stored_user(db_session, user_id) is None
    again = await client.get(user_url(user_id), headers=superuser_headers)
    assert again.status_code == 404
