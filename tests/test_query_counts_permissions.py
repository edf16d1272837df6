"""What permission checks cost: one indexed query when a route checks one, none
for superusers, none on routes that check none.

`GET /users/me` reads the user's roles and permissions for the SPA: one query
more than before, the only route that gained one without checking a permission.
"""

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from tests.fixtures.items import create_item
from tests.fixtures.query_counter import QueryCounter, QueryLog
from tests.fixtures.roles import create_role, grant
from tests.fixtures.users import create_user, login

API = "/api/v1"
ROLE_TABLES = ("user_roles", "role_permissions", "roles")


def role_queries(log: QueryLog) -> list[str]:
    return [s for table in ROLE_TABLES for s in log.touching(table)]


async def counted_get(
    client: httpx.AsyncClient,
    query_counter: QueryCounter,
    url: str,
    headers: dict[str, str],
) -> QueryLog:
    with query_counter() as log:
        response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return log


async def test_a_permission_check_is_one_query_however_many_roles(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    query_counter: QueryCounter,
) -> None:
    holder = await create_user(isolated_app, db_session)
    for permissions in (
        ["metrics:read"],
        ["stats:read"],
        ["metrics:read", "audit:read"],
    ):
        await grant(db_session, holder, await create_role(db_session, permissions))
    headers = await login(client, holder.email)

    log = await counted_get(client, query_counter, f"{API}/metrics/database", headers)

    assert len(role_queries(log)) == 1
    assert len(log.touching("users")) == 1  # the access token's user


async def test_a_superusers_permission_check_costs_no_query(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    log = await counted_get(
        client, query_counter, f"{API}/metrics/database", superuser_headers
    )

    assert role_queries(log) == []


async def test_routes_that_check_no_permission_run_no_role_query(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    user_headers: dict[str, str],
    query_counter: QueryCounter,
) -> None:
    item = await create_item(db_session, user)

    own_item = await counted_get(
        client, query_counter, f"{API}/items/{item.id}", user_headers
    )
    sessions = await counted_get(
        client, query_counter, f"{API}/users/me/sessions", user_headers
    )

    assert role_queries(own_item) == []
    assert role_queries(sessions) == []


async def test_users_me_reads_roles_and_permissions_in_one_query(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    query_counter: QueryCounter,
) -> None:
    holder = await create_user(isolated_app, db_session)
    for permissions in (["stats:read"], ["audit:read", "users:read"]):
        await grant(db_session, holder, await create_role(db_session, permissions))
    headers = await login(client, holder.email)

    log = await counted_get(client, query_counter, f"{API}/users/me", headers)

    # The token's user; then their roles and the state of their second factor
    # together, in one statement (the test client's outbox delivery aside).
    app_selects = [s for s in log.matching("SELECT") if "email_outbox" not in s]
    assert len(app_selects) == 2
    (account,) = role_queries(log)
    assert "mfa_totp" in account
    assert "mfa_recovery_codes" in account
    me = (await client.get(f"{API}/users/me", headers=headers)).json()
    assert len(me["roles"]) == 2
    assert me["permissions"] == ["audit:read", "stats:read", "users:read"]
