"""Roles over HTTP: the registry, role CRUD, grants, their audit events, and the
rule that every change applies to the user's very next request."""

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import PERMISSIONS
from app.models import AuditEvent, Item, Role, User
from tests.fixtures.items import create_item
from tests.fixtures.roles import create_role, grant, user_with
from tests.fixtures.users import create_user, login

API = "/api/v1"
ROLES = f"{API}/roles"
ME = f"{API}/users/me"


def user_roles_url(user: User, slug: str) -> str:
    return f"{API}/users/{user.id}/roles/{slug}"


async def events(session: AsyncSession, kind: str) -> list[AuditEvent]:
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.kind == kind)
        .order_by(AuditEvent.created_at)
    )
    return list(rows)


async def create_via_api(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> httpx.Response:
    payload = {"slug": "teacher", "name": "Teacher", "permissions": [], **body}
    return await client.post(ROLES, json=payload, headers=headers)


# --- the registry -------------------------------------------------------------


async def test_permissions_lists_every_defined_permission_sorted(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.get(f"{API}/permissions", headers=superuser_headers)

    assert response.status_code == 200
    names = [entry["name"] for entry in response.json()]
    assert names == sorted(PERMISSIONS)
    assert {
        "users:read",
        "users:manage",
        "roles:read",
        "roles:manage",
        "roles:assign",
        "items:read_any",
        "items:update_any",
        "items:delete_any",
        "audit:read",
        "stats:read",
        "metrics:read",
    } <= set(names)
    assert all(entry["description"] for entry in response.json())


# --- creating, listing, changing, deleting roles -------------------------------


async def test_create_role_answers_it_with_sorted_permissions_and_audits(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    response = await create_via_api(
        client,
        superuser_headers,
        description="Sees every pupil's work",
        permissions=["users:read", "items:read_any", "users:read"],
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["slug"] == "teacher"
    assert body["permissions"] == ["items:read_any", "users:read"]
    assert body["is_system"] is False
    assert body["description"] == "Sees every pupil's work"
    listed = await client.get(ROLES, headers=superuser_headers)
    assert [r for r in listed.json() if r["slug"] == "teacher"] == [body]
    (event,) = await events(db_session, "role.created")
    assert event.actor_user_id == superuser.id
    assert event.details == {
        "role": "teacher",
        "permissions_before": None,
        "permissions_after": ["items:read_any", "users:read"],
        "name": "Teacher",
    }


async def test_an_unknown_permission_is_a_422_naming_it(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await create_via_api(
        client, superuser_headers, permissions=["users:read", "users:fly"]
    )

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "permissions", 1]
    assert "users:fly" in error["msg"]
    patch = await client.patch(
        f"{ROLES}/nobody", json={"permissions": ["x:y"]}, headers=superuser_headers
    )
    assert patch.status_code == 422


async def test_a_duplicate_slug_is_409(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    assert (await create_via_api(client, superuser_headers)).status_code == 201

    again = await create_via_api(client, superuser_headers, name="Other")

    assert again.status_code == 409
    assert again.json() == {"detail": "ROLE_ALREADY_EXISTS"}


async def test_a_slug_must_be_lower_case_letters_digits_and_dashes(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    for slug in ("Teacher", "a b", "", "-x", "x" * 65):
        response = await create_via_api(client, superuser_headers, slug=slug)
        assert response.status_code == 422, slug


async def test_update_role_changes_what_is_sent_and_audits_before_and_after(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    await create_via_api(
        client, superuser_headers, description="Old", permissions=["users:read"]
    )

    response = await client.patch(
        f"{ROLES}/teacher",
        json={"name": "Head teacher", "permissions": ["items:read_any", "stats:read"]},
        headers=superuser_headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Head teacher"
    assert body["description"] == "Old"
    assert body["permissions"] == ["items:read_any", "stats:read"]
    (event,) = await events(db_session, "role.updated")
    assert event.details is not None
    assert event.details["permissions_before"] == ["users:read"]
    assert event.details["permissions_after"] == ["items:read_any", "stats:read"]
    assert event.details["name"] == {"before": "Teacher", "after": "Head teacher"}

    cleared = await client.patch(
        f"{ROLES}/teacher", json={"description": None}, headers=superuser_headers
    )
    assert cleared.json()["description"] is None
    same = await client.patch(
        f"{ROLES}/teacher", json={"name": "Head teacher"}, headers=superuser_headers
    )
    assert same.status_code == 200
    assert len(await events(db_session, "role.updated")) == 2  # no-op: no event


async def test_unknown_roles_are_404(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], user: User
) -> None:
    patch = await client.patch(
        f"{ROLES}/nobody", json={"name": "X"}, headers=superuser_headers
    )
    delete = await client.delete(f"{ROLES}/nobody", headers=superuser_headers)
    put = await client.put(user_roles_url(user, "nobody"), headers=superuser_headers)

    for response in (patch, delete, put):
        assert response.status_code == 404
        assert response.json() == {"detail": "ROLE_NOT_FOUND"}


async def test_granting_to_an_unknown_user_is_404(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    slug = await create_role(db_session)

    response = await client.put(
        f"{API}/users/{uuid.uuid4()}/roles/{slug}", headers=superuser_headers
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "USER_NOT_FOUND"}


async def test_a_system_role_cannot_be_changed_or_deleted(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    db_session.add(Role(slug="root", name="Root", is_system=True))
    await db_session.commit()

    rename = await client.patch(
        f"{ROLES}/root", json={"name": "Other"}, headers=superuser_headers
    )
    delete = await client.delete(f"{ROLES}/root", headers=superuser_headers)

    for response in (rename, delete):
        assert response.status_code == 409
        assert response.json() == {"detail": "ROLE_IS_SYSTEM"}
    listed = await client.get(ROLES, headers=superuser_headers)
    assert [r["name"] for r in listed.json() if r["slug"] == "root"] == ["Root"]


async def test_deleting_a_role_removes_it_from_its_users_at_once(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    slug = await create_role(db_session, ["stats:read"])
    holder = await create_user(isolated_app, db_session)
    await grant(db_session, holder, slug)
    headers = await login(client, holder.email)
    assert (await client.get(f"{API}/stats", headers=headers)).status_code == 200

    response = await client.delete(f"{ROLES}/{slug}", headers=superuser_headers)

    assert response.status_code == 204
    after = await client.get(f"{API}/stats", headers=headers)
    assert after.status_code == 403
    me = await client.get(ME, headers=headers)
    assert me.json()["roles"] == []
    assert me.json()["permissions"] == []
    (event,) = await events(db_session, "role.deleted")
    assert event.details == {
        "role": slug,
        "permissions_before": ["stats:read"],
        "permissions_after": None,
        "holders": 1,
    }


# --- grants ---------------------------------------------------------------------


async def test_grant_and_revoke_are_idempotent_and_audited_once(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    first = await create_role(db_session, ["users:read"])
    second = await create_role(db_session, ["stats:read", "users:read"])
    target = await user_with(isolated_app, db_session, "audit:read")
    await grant(db_session, target, first)

    puts = [
        await client.put(user_roles_url(target, second), headers=superuser_headers)
        for _ in range(2)
    ]
    deletes = [
        await client.delete(user_roles_url(target, second), headers=superuser_headers)
        for _ in range(2)
    ]

    assert [r.status_code for r in puts + deletes] == [204] * 4
    by_api = [
        event
        for kind in ("role.granted", "role.revoked")
        for event in await events(db_session, kind)
        if event.actor_user_id is not None  # the fixtures grant as the system
    ]
    granted, revoked = by_api
    for event in (granted, revoked):
        assert event.actor_user_id == superuser.id
        assert event.target_user_id == target.id
        assert event.target_email == target.email
    assert granted.details == {
        "role": second,
        "permissions_before": ["audit:read", "users:read"],
        "permissions_after": ["audit:read", "stats:read", "users:read"],
    }
    # users:read stays: another role still carries it.
    assert revoked.details == {
        "role": second,
        "permissions_before": ["audit:read", "stats:read", "users:read"],
        "permissions_after": ["audit:read", "users:read"],
    }


async def test_a_grant_works_at_once_and_a_revocation_refuses_at_once(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    slug = await create_role(db_session, ["audit:read"])
    target = await create_user(isolated_app, db_session)
    headers = await login(client, target.email)  # the same access token throughout
    events_url = f"{API}/audit-events"
    assert (await client.get(events_url, headers=headers)).status_code == 403

    await client.put(user_roles_url(target, slug), headers=superuser_headers)
    assert (await client.get(events_url, headers=headers)).status_code == 200

    await client.delete(user_roles_url(target, slug), headers=superuser_headers)
    refused = await client.get(events_url, headers=headers)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "PERMISSION_DENIED"}


async def test_changing_a_roles_permissions_applies_to_the_next_request(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    slug = await create_role(db_session, ["stats:read"])
    holder = await create_user(isolated_app, db_session)
    await grant(db_session, holder, slug)
    headers = await login(client, holder.email)
    metrics = f"{API}/metrics/database"
    assert (await client.get(metrics, headers=headers)).status_code == 403

    await client.patch(
        f"{ROLES}/{slug}",
        json={"permissions": ["metrics:read"]},
        headers=superuser_headers,
    )

    assert (await client.get(metrics, headers=headers)).status_code == 200
    assert (await client.get(f"{API}/stats", headers=headers)).status_code == 403


# --- what users see of their roles ---------------------------------------------


async def test_users_me_lists_roles_and_effective_permissions_sorted(
    client: httpx.AsyncClient, isolated_app: FastAPI, db_session: AsyncSession
) -> None:
    target = await create_user(isolated_app, db_session)
    await grant(
        db_session, target, await create_role(db_session, ["users:read"], slug="b-role")
    )
    await grant(
        db_session,
        target,
        await create_role(db_session, ["stats:read", "users:read"], slug="a-role"),
    )
    await create_role(db_session, ["audit:read"], slug="c-role")  # not granted

    me = await client.get(ME, headers=await login(client, target.email))

    assert me.status_code == 200
    assert me.json()["roles"] == ["a-role", "b-role"]
    assert me.json()["permissions"] == ["stats:read", "users:read"]


async def test_a_superuser_has_every_permission(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], user: User
) -> None:
    me = await client.get(ME, headers=superuser_headers)
    other = await client.get(f"{API}/users/{user.id}", headers=superuser_headers)

    assert me.json()["permissions"] == sorted(PERMISSIONS)
    assert me.json()["roles"] == []
    assert other.json()["permissions"] == []


async def test_the_admin_user_list_filters_by_role_and_shows_roles(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    slug = await create_role(db_session, ["items:read_any"], slug="studio_owner")
    owners = [await create_user(isolated_app, db_session) for _ in range(2)]
    for owner in owners:
        await grant(db_session, owner, slug)
    await create_user(isolated_app, db_session)

    response = await client.get(
        f"{API}/users", params={"role": slug}, headers=superuser_headers
    )
    nobody = await client.get(
        f"{API}/users", params={"role": "no-such-role"}, headers=superuser_headers
    )

    assert response.status_code == 200
    items = response.json()["items"]
    assert {item["id"] for item in items} == {str(owner.id) for owner in owners}
    assert all(item["roles"] == [slug] for item in items)
    assert all(item["permissions"] == ["items:read_any"] for item in items)
    assert nobody.json()["total"] == 0


# --- items: a permission widens ownership ----------------------------------------


async def test_items_read_any_lists_and_filters_everyones_items(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    user: User,
) -> None:
    mine: Item = await create_item(db_session, user, "Mine")
    reader = await user_with(isolated_app, db_session, "items:read_any")
    own = await create_item(db_session, reader, "Reader's")
    headers = await login(client, reader.email)

    everything = await client.get(f"{API}/items", headers=headers)
    filtered = await client.get(
        f"{API}/items", params={"owner_id": str(user.id)}, headers=headers
    )
    change = await client.patch(
        f"{API}/items/{mine.id}", json={"title": "X"}, headers=headers
    )

    ids = {item["id"] for item in everything.json()["items"]}
    assert {str(mine.id), str(own.id)} <= ids
    assert [item["id"] for item in filtered.json()["items"]] == [str(mine.id)]
    assert change.status_code == 404  # reading everyone's is not changing them
