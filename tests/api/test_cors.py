"""CORS through the app's own layer: requests without an Origin skip it.

Starlette's behaviour is kept for requests with an `Origin` (preflight, the
allowed origin echoed, `Vary: Origin`); those without one pass straight through
and still get `Vary: Origin` with the other fixed headers, so a cache never
serves one kind of answer to the other.
"""

import httpx
import pytest
from fastapi import FastAPI

from tests.fixtures.app_factory import AppFactory

SPA = "https://spa.example.com"


@pytest.fixture
async def cors_client(app_factory: AppFactory) -> httpx.AsyncClient:
    app: FastAPI = app_factory(CORS_ORIGINS=[SPA])
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    )


async def test_a_request_without_origin_gets_vary_and_no_cors_headers(
    cors_client: httpx.AsyncClient,
) -> None:
    async with cors_client as http:
        response = await http.get("/health/live")

    assert response.status_code == 200
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


async def test_the_allowed_origin_is_echoed_with_credentials(
    cors_client: httpx.AsyncClient,
) -> None:
    async with cors_client as http:
        response = await http.get("/health/live", headers={"Origin": SPA})

    assert response.headers["access-control-allow-origin"] == SPA
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers.get_list("vary") == ["Origin"]
    assert response.headers["x-request-id"]


async def test_another_origin_gets_no_cors_headers(
    cors_client: httpx.AsyncClient,
) -> None:
    async with cors_client as http:
        response = await http.get(
            "/health/live", headers={"Origin": "https://evil.example.com"}
        )

    assert "access-control-allow-origin" not in response.headers
    assert response.headers.get_list("vary") == ["Origin"]


async def test_a_preflight_from_the_allowed_origin_is_answered(
    cors_client: httpx.AsyncClient,
) -> None:
    async with cors_client as http:
        response = await http.options(
            "/api/v1/items",
            headers={
                "Origin": SPA,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SPA
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["x-frame-options"] == "DENY"
