"""Every protected route against every kind of caller, over HTTP.

No token: 401. A plain user, and a user whose role carries some other
permission: refused (403 `PERMISSION_DENIED`; another user's item stays a 404,
as before). The route's permission through a role, and a superuser: allowed.
"""

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.permissions import PERMISSIONS
from app.models import User
from tests.fixtures.items import create_item
from tests.fixtures.roles import create_role, user_with
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

API = "/api/v1"
_emails = itertools.count(1)


@dataclass
class Targets:
    """What a request acts on, made fresh for every call."""

    user: User
    role: str
    item_id: str


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    permission: str
    success: int
    body: Callable[[], Any] | None = None
    # What a caller without the permission gets, when not 403 PERMISSION_DENIED.
    refused: tuple[int, str] = (403, "PERMISSION_DENIED")

    def url(self, targets: Targets) -> str:
        return API + self.path.format(
            user_id=targets.user.id, role=targets.role, item_id=targets.item_id
        )


def new_user() -> dict[str, str]:
    return {
        "email": f"matrix-new{next(_emails)}@example.com",
        "password": DEFAULT_PASSWORD,
    }


ROUTES = [
    Route("GET", "/users", "users:read", 200),
    Route("GET", "/users/{user_id}", "users:read", 200),
    Route("POST", "/users", "users:manage", 201, new_user),
    Route("POST", "/users/bulk", "users:manage", 201, lambda: [new_user()]),
    Route("PATCH", "/users/{user_id}", "users:manage", 200, lambda: {"full_name": "X"}),
    Route("DELETE", "/users/{user_id}", "users:manage", 204),
    # Allowed through to the rule that the target has no second factor to reset
    # (tests/mfa/ resets a real one).
    Route("DELETE", "/users/{user_id}/mfa", "users:manage", 409),
    Route("GET", "/stats", "stats:read", 200),
    Route("GET", "/audit-events", "audit:read", 200),
    Route("GET", "/metrics/database", "metrics:read", 200),
    Route("GET", "/permissions", "roles:read", 200),
    Route("GET", "/roles", "roles:read", 200),
    Route(
        "POST",
        "/roles",
        "roles:manage",
        201,
        lambda: {"slug": f"made-{next(_emails)}", "name": "Made", "permissions": []},
    ),
    Route("PATCH", "/roles/{role}", "roles:manage", 200, lambda: {"name": "Renamed"}),
    Route("DELETE", "/roles/{role}", "roles:manage", 204),
    Route("PUT", "/users/{user_id}/roles/{role}", "roles:assign", 204),
    Route("DELETE", "/users/{user_id}/roles/{role}", "roles:assign", 204),
    Route(
        "GET",
        "/items/{item_id}",
        "items:read_any",
        200,
        refused=(404, "ITEM_NOT_FOUND"),
    ),
    Route(
        "GET",
        "/items?owner_id={user_id}",
        "items:read_any",
        200,
        refused=(403, "OWNER_FILTER_FORBIDDEN"),
    ),
    Route(
        "PATCH",
        "/items/{item_id}",
        "items:update_any",
        200,
        lambda: {"title": "Changed"},
        refused=(404, "ITEM_NOT_FOUND"),
    ),
    Route(
        "DELETE",
        "/items/{item_id}",
        "items:delete_any",
        204,
        refused=(404, "ITEM_NOT_FOUND"),
    ),
]


def unrelated_to(permission: str) -> str:
    """Some other permission (of another resource, so it implies nothing)."""
    resource = permission.split(":")[0]
    return next(p for p in PERMISSIONS if not p.startswith(resource + ":"))


def test_every_permission_is_in_the_matrix() -> None:
    assert {route.permission for route in ROUTES} == set(PERMISSIONS)


@dataclass
class Callers:
    plain: dict[str, str]
    unrelated: dict[str, str]
    holder: dict[str, str]
    superuser: dict[str, str]


@pytest.fixture
def make_targets(
    isolated_app: FastAPI, db_session: AsyncSession
) -> Callable[[], Awaitable[Targets]]:
    async def make() -> Targets:
        target = await create_user(isolated_app, db_session)
        role = await create_role(db_session)
        item = await create_item(db_session, target)
        return Targets(target, role, str(item.id))

    return make


async def callers_for(
    app: FastAPI, session: AsyncSession, client: httpx.AsyncClient, permission: str
) -> Callers:
    plain = await create_user(app, session)
    unrelated = await user_with(app, session, unrelated_to(permission))
    holder = await user_with(app, session, permission)
    superuser = await create_user(app, session, is_superuser=True)
    return Callers(
        plain=await login(client, plain.email),
        unrelated=await login(client, unrelated.email),
        holder=await login(client, holder.email),
        superuser=await login(client, superuser.email),
    )


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_route_needs_its_permission(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    make_targets: Callable[[], Awaitable[Targets]],
    route: Route,
) -> None:
    callers = await callers_for(isolated_app, db_session, client, route.permission)

    async def call(headers: dict[str, str] | None) -> httpx.Response:
        targets = await make_targets()
        if route.path.endswith("/roles/{role}") and route.method == "DELETE":
            if route.path.startswith("/users"):  # revoking: the target holds it
                await client.put(route.url(targets), headers=callers.superuser)
        body = route.body() if route.body else None
        return await client.request(
            route.method, route.url(targets), json=body, headers=headers or {}
        )

    anonymous = await call(None)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json() == {"detail": "UNAUTHORIZED"}

    for name in ("plain", "unrelated"):
        response = await call(getattr(callers, name))
        assert (response.status_code, response.json()["detail"]) == route.refused, name

    for name in ("holder", "superuser"):
        response = await call(getattr(callers, name))
        assert response.status_code == route.success, (name, response.text)
