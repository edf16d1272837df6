"""GET /health: liveness plus a database check; 503 when the database is down."""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory, closed_port


def unreachable_database_urls(tmp_path: Path) -> dict[str, str]:
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    return {
        "postgresql": (
            f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/gatehouse"
        ),
        "unresolvable-host": "postgresql+asyncpg://postgres@db.gatehouse.invalid/x",
        "sqlite": f"sqlite+aiosqlite:///{not_a_directory / 'gatehouse.db'}",
    }


async def test_health_is_ok_with_the_database_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    database = body["checks"]["database"]
    assert database["status"] == "ok"
    assert database["latency_ms"] >= 0
    assert database.get("error") is None


async def test_health_needs_no_token_and_is_outside_the_api_prefix(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/health")).status_code == 200
    assert (await client.get("/api/v1/health")).status_code == 404


@pytest.mark.parametrize("backend", ["postgresql", "unresolvable-host", "sqlite"])
async def test_health_is_503_when_the_database_is_unreachable(
    app_factory: AppFactory, tmp_path: Path, backend: str
) -> None:
    down = app_factory(DATABASE_URL=unreachable_database_urls(tmp_path)[backend])

    async with http_client(down) as http:
        response = await http.get("/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    database = body["checks"]["database"]
    assert database["status"] == "error"
    assert database["error"]
    # The error names the kind of failure only, never connection details.
    assert "127.0.0.1" not in response.text
    assert "postgres@" not in response.text
    assert str(tmp_path) not in response.text


async def test_liveness_is_a_constant_that_needs_no_database(
    app_factory: AppFactory,
) -> None:
    # Nothing listens on the database port: readiness fails, liveness does not.
    application = app_factory(
        DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/x"
    )
    # A bare client: http_client's email delivery would need the database.
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        live = await http.get("/health/live")
        ready = await http.get("/health")

    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    assert ready.status_code == 503


@pytest.mark.parametrize("path", ["/health", "/health/live"])
async def test_head_answers_200_without_a_body(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.head(path)

    assert response.status_code == 200
    assert response.content == b""


async def test_head_health_is_503_when_the_database_is_unreachable(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    down = app_factory(DATABASE_URL=unreachable_database_urls(tmp_path)["postgresql"])

    async with http_client(down) as http:
        response = await http.head("/health")

    assert response.status_code == 503
    assert response.content == b""


# --- /health/ready: the load balancer's probe -------------------------------------


async def test_readiness_is_ok_with_the_database_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"]["database"]["status"] == "ok"
    assert (await client.head("/health/ready")).status_code == 200


async def test_readiness_is_503_while_the_process_drains(
    isolated_app: FastAPI, client: httpx.AsyncClient
) -> None:
    isolated_app.state.draining = True
    try:
        ready = await client.get("/health/ready")
        head = await client.head("/health/ready")
        health = await client.get("/health")
        live = await client.get("/health/live")
    finally:
        isolated_app.state.draining = False

    assert ready.status_code == 503
    assert ready.json() == {
        "status": "error",
        "checks": {
            "process": {"status": "error", "latency_ms": 0.0, "error": "SHUTTING_DOWN"}
        },
    }
    assert head.status_code == 503
    # Only readiness drains: /health reports the dependencies, liveness the process.
    assert health.status_code == 200
    assert live.status_code == 200


async def test_readiness_is_503_when_the_database_is_unreachable(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    down = app_factory(DATABASE_URL=unreachable_database_urls(tmp_path)["sqlite"])

    async with http_client(down) as http:
        response = await http.get("/health/ready")
        head = await http.head("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "error"
    assert head.status_code == 503
