"""No escalation: nobody hands out, takes over or edits more power than they hold.

Every attempt is a 403 `PERMISSION_DENIED` and changes nothing.
"""

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User, UserRole
from tests.fixtures.roles import create_role, grant, user_with
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

API = "/api/v1"
ROLES = f"{API}/roles"
DENIED = {"detail": "PERMISSION_DENIED"}


def user_roles_url(user: User, slug: str) -> str:
    return f"{API}/users/{user.id}/roles/{slug}"


async def headers_with(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, *permissions: str
) -> tuple[User, dict[str, str]]:
    user = await user_with(app, session, *permissions)
    return user, await login(client, user.email)


# --- roles ----------------------------------------------------------------------


async def test_a_role_cannot_be_created_with_a_permission_the_caller_lacks(
    client: httpx.AsyncClient, isolated_app: FastAPI, db_session: AsyncSession
) -> None:
    _, headers = await headers_with(
        client, isolated_app, db_session, "roles:manage", "roles:read", "stats:read"
    )
    body = {"slug": "mighty", "name": "Mighty"}

    refused = await client.post(
        ROLES,
        json={**body, "permissions": ["stats:read", "users:manage"]},
        headers=headers,
    )
    allowed = await client.post(
        ROLES, json={**body, "permissions": ["stats:read"]}, headers=headers
    )

    assert refused.status_code == 403
    assert refused.json() == DENIED
    assert allowed.status_code == 201


async def test_a_role_cannot_gain_or_lose_a_permission_the_caller_lacks(
    client: httpx.AsyncClient, isolated_app: FastAPI, db_session: AsyncSession
) -> None:
    _, headers = await headers_with(
        client, isolated_app, db_session, "roles:manage", "stats:read"
    )
    own_level = await create_role(db_session, ["stats:read"])
    stronger = await create_role(db_session, ["stats:read", "users:manage"])

    widen = await client.patch(
        f"{ROLES}/{own_level}",
        json={"permissions": ["stats:read", "audit:read"]},
        headers=headers,
    )
    # Editing a stronger role at all (even to weaken it, or just rename it).
    weaken = await client.patch(
        f"{ROLES}/{stronger}", json={"permissions": ["stats:read"]}, headers=headers
    )
    rename = await client.patch(
        f"{ROLES}/{stronger}", json={"name": "Renamed"}, headers=headers
    )
    delete = await client.delete(f"{ROLES}/{stronger}", headers=headers)

    for response in (widen, weaken, rename, delete):
        assert response.status_code == 403, response.text
        assert response.json() == DENIED
    superuser = await create_user(isolated_app, db_session, is_superuser=True)
    listed = await client.get(ROLES, headers=await login(client, superuser.email))
    by_slug = {role["slug"]: role for role in listed.json()}
    assert by_slug[own_level]["permissions"] == ["stats:read"]
    assert by_slug[stronger]["permissions"] == ["stats:read", "users:manage"]


# --- grants ---------------------------------------------------------------------


async def test_a_role_carrying_a_permission_the_caller_lacks_cannot_be_granted(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    user: User,
) -> None:
    _, headers = await headers_with(
        client, isolated_app, db_session, "roles:assign", "stats:read"
    )
    weaker = await create_role(db_session, ["stats:read"])
    stronger = await create_role(db_session, ["stats:read", "audit:read"])
    await grant(db_session, user, stronger)
    other = await create_user(isolated_app, db_session)

    put = await client.put(user_roles_url(other, stronger), headers=headers)
    revoke = await client.delete(user_roles_url(user, stronger), headers=headers)
    allowed = await client.put(user_roles_url(other, weaker), headers=headers)

    assert (put.status_code, put.json()) == (403, DENIED)
    assert (revoke.status_code, revoke.json()) == (403, DENIED)
    assert allowed.status_code == 204
    held = await db_session.scalar(
        select(func.count()).select_from(UserRole).where(UserRole.user_id == other.id)
    )
    assert held == 1


async def test_nobody_but_a_superuser_grants_roles_to_themselves(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    assigner, headers = await headers_with(
        client, isolated_app, db_session, "roles:assign", "stats:read"
    )
    harmless = await create_role(db_session, [])

    own = await client.put(user_roles_url(assigner, harmless), headers=headers)
    by_superuser = await client.put(
        user_roles_url(superuser, harmless), headers=superuser_headers
    )

    assert (own.status_code, own.json()) == (403, DENIED)
    assert by_superuser.status_code == 204


# --- is_superuser and accounts more powerful than the caller ------------------------


@pytest.mark.parametrize("value", [True, False])
async def test_only_a_superuser_sets_or_clears_is_superuser(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    user: User,
    value: bool,
) -> None:
    _, headers = await headers_with(
        client, isolated_app, db_session, "users:manage", "users:read"
    )
    new = {"password": DEFAULT_PASSWORD, "is_superuser": value}

    patch = await client.patch(
        f"{API}/users/{user.id}", json={"is_superuser": value}, headers=headers
    )
    create = await client.post(
        f"{API}/users", json={"email": "new@example.com", **new}, headers=headers
    )
    bulk = await client.post(
        f"{API}/users/bulk",
        json=[
            {"email": "bulk1@example.com", "password": DEFAULT_PASSWORD},
            {"email": "bulk2@example.com", **new},
        ],
        headers=headers,
    )

    for response in (patch, create, bulk):
        assert (response.status_code, response.json()) == (403, DENIED)
    emails = set(await db_session.scalars(select(User.email)))
    assert not {"new@example.com", "bulk1@example.com", "bulk2@example.com"} & emails
    await db_session.refresh(user)
    assert user.is_superuser is False


async def test_a_superuser_still_sets_is_superuser(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], user: User
) -> None:
    response = await client.patch(
        f"{API}/users/{user.id}", json={"is_superuser": True}, headers=superuser_headers
    )

    assert response.status_code == 200
    assert response.json()["is_superuser"] is True


async def test_a_manager_cannot_change_or_delete_a_more_powerful_account(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
) -> None:
    _, headers = await headers_with(
        client, isolated_app, db_session, "users:manage", "users:read"
    )
    stronger = await user_with(isolated_app, db_session, "audit:read")
    plain = await create_user(isolated_app, db_session)
    takeover = {"password": "a-new-Passphrase-99"}

    refused = [
        await client.patch(f"{API}/users/{target.id}", json=takeover, headers=headers)
        for target in (superuser, stronger)
    ] + [
        await client.delete(f"{API}/users/{target.id}", headers=headers)
        for target in (superuser, stronger)
    ]
    allowed = await client.patch(
        f"{API}/users/{plain.id}", json={"full_name": "Renamed"}, headers=headers
    )

    for response in refused:
        assert (response.status_code, response.json()) == (403, DENIED)
    assert allowed.status_code == 200
    await login(client, superuser.email)  # the password is unchanged
