"""The pure ASGI middleware: request limits, security headers, request context,
logging without secrets, and Prometheus metrics."""

import asyncio
import io
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.api.deps import SessionDep
from app.core.logging import GatehouseHandler
from app.middleware.security_headers import API_CSP, DOCS_CSP, HSTS
from app.models import User
from app.services.users import USER_EMAIL
from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory, join_test_transaction
from tests.fixtures.sessions import refresh_cookie
from tests.fixtures.smtp import Mailbox, ReceivedEmail
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
REQUEST_VERIFY = "/api/v1/auth/request-verify-token"
ITEMS = "/api/v1/items"
SMALL_BODY_LIMIT = 1024
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
PRODUCTION = {"ENVIRONMENT": "production", "ALLOW_SQLITE_IN_PRODUCTION": True}

# The session app migrates the test database the factory-built apps use.
pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def joined_app(
    app_factory: AppFactory, test_sessionmaker: async_sessionmaker[AsyncSession]
) -> Callable[..., FastAPI]:
    def build(**overrides: object) -> FastAPI:
        return join_test_transaction(app_factory(**overrides), test_sessionmaker)

    return build


# --- request limits -------------------------------------------------------------


async def test_a_declared_body_above_the_limit_is_413(app_factory: AppFactory) -> None:
    app = app_factory(MAX_BODY_BYTES=SMALL_BODY_LIMIT)
    async with http_client(app) as client:
        response = await client.post(
            REGISTER,
            content=b"x" * (SMALL_BODY_LIMIT + 1),
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code == 413
    assert response.json() == {"detail": "REQUEST_BODY_TOO_LARGE"}


async def test_a_streamed_body_above_the_limit_is_413_before_it_is_all_read(
    app_factory: AppFactory,
) -> None:
    app = app_factory(MAX_BODY_BYTES=SMALL_BODY_LIMIT)
    chunks_sent = 0

    async def endless_body() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        while chunks_sent < 10_000:
            chunks_sent += 1
            yield b"x" * 256

    async with http_client(app) as client:
        response = await client.post(
            REGISTER,
            content=endless_body(),
            headers={"Content-Type": "application/json"},
        )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"detail": "REQUEST_BODY_TOO_LARGE"}
    # Refused once past the limit: the rest of the stream was never pulled.
    assert chunks_sent < 10_000


async def test_a_body_within_the_limit_is_served(app_factory: AppFactory) -> None:
    app = app_factory(MAX_BODY_BYTES=SMALL_BODY_LIMIT)
    async with http_client(app) as client:
        response = await client.post(FORGOT, json={"email": "a@example.com"})

    assert response.status_code == 202


async def test_oversized_headers_are_431(app_factory: AppFactory) -> None:
    app = app_factory(MAX_HEADER_BYTES=2048)
    async with http_client(app) as client:
        refused = await client.get("/health", headers={"X-Padding": "p" * 4096})
        served = await client.get("/health", headers={"X-Padding": "p" * 512})

    assert refused.status_code == 431
    assert refused.json() == {"detail": "REQUEST_HEADERS_TOO_LARGE"}
    assert served.status_code == 200


def app_with_slow_write(application: FastAPI, email: str) -> FastAPI:
    @application.post("/api/v1/slow-write")
    async def slow_write(session: SessionDep) -> None:
        session.add(User(email=email, hashed_password="not-a-hash"))
        await session.flush()
        await asyncio.sleep(3600)

    return application


async def count_users(engine: AsyncEngine, email: str) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(User).where(USER_EMAIL == email)
        )
    return int(count or 0)


@pytest.mark.usefixtures("delete_committed_rows")
async def test_a_slow_request_is_504_and_its_writes_are_rolled_back(
    app_factory: AppFactory,
) -> None:
    email = f"slow-{uuid.uuid4().hex[:8]}@example.com"
    app = app_with_slow_write(app_factory(REQUEST_TIMEOUT_SECONDS=0.5), email)
    async with http_client(app) as client:
        response = await client.post("/api/v1/slow-write")
        # The database is free again: another write goes through.
        other = await client.post(
            REGISTER,
            json={"email": f"after-{email}", "password": DEFAULT_PASSWORD},
        )

    assert response.status_code == 504
    assert response.json() == {"detail": "REQUEST_TIMEOUT"}
    assert other.status_code == 201, other.text
    assert await count_users(app.state.engine, email) == 0


def nested(depth: int, opening: str, closing: str) -> bytes:
    return (opening * depth + closing * depth).encode()


@pytest.mark.parametrize(
    "body",
    [nested(100_000, "[", "]"), nested(100_000, '{"a":', "}")],
    ids=["arrays", "objects"],
)
async def test_deeply_nested_json_is_a_client_error_and_the_app_keeps_serving(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        REGISTER, content=body, headers={"Content-Type": "application/json"}
    )
    health = await client.get("/health")

    assert 400 <= response.status_code < 500, response.text
    assert health.status_code == 200


async def test_deeply_nested_json_with_suspicious_text_is_a_client_error(
    client: httpx.AsyncClient,
) -> None:
    # Reaches the input guard's own parse (it looks for NULs).
    body = b"[" * 100_000 + b'"\\u0000"' + b"]" * 100_000
    response = await client.post(
        REGISTER, content=body, headers={"Content-Type": "application/json"}
    )

    assert 400 <= response.status_code < 500, response.text


# --- security headers -----------------------------------------------------------


async def test_api_responses_carry_the_security_headers(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await client.get("/health"),
        await client.get(f"{ITEMS}/nope"),
        await client.post(LOGIN, data={}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"] == API_CSP.decode()
        assert "strict-transport-security" not in response.headers


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_load_with_the_docs_policy(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    schema = await client.get("/api/v1/openapi.json")

    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    # The docs policy, with the hashes of the page's inline scripts added (see
    # tests/api/routes/test_docs.py).
    policy = page.headers["content-security-policy"]
    assert policy.startswith(DOCS_CSP.decode().split(";")[0] + "; script-src 'self'")
    assert schema.status_code == 200
    assert schema.headers["content-security-policy"] == API_CSP.decode()


async def test_hsts_only_in_production(app_factory: AppFactory) -> None:
    production = app_factory(**PRODUCTION)
    async with http_client(production) as client:
        response = await client.get("/health")

    assert response.headers["strict-transport-security"] == HSTS.decode()


# --- request context and the access log -----------------------------------------


async def test_a_well_formed_request_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123.DEF:9"})

    assert response.headers["x-request-id"] == "abc-123.DEF:9"


@pytest.mark.parametrize(
    "incoming", ["short", "has spaces in it", "x" * 200, "semi;colon-0123"]
)
async def test_a_malformed_request_id_is_replaced(
    client: httpx.AsyncClient, incoming: str
) -> None:
    response = await client.get("/health", headers={"X-Request-ID": incoming})

    assert response.headers["x-request-id"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_every_log_line_of_a_request_carries_its_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    request_id = f"req-{uuid.uuid4().hex}"
    with caplog.at_level(logging.DEBUG):
        await client.post(
            LOGIN,
            data={"username": "nobody@example.com", "password": "wrong-Passphrase-1"},
            headers={"X-Request-ID": request_id},
        )

    app_records = [r for r in caplog.records if r.name.startswith("app.")]
    assert app_records
    assert {getattr(r, "request_id", None) for r in app_records} == {request_id}


async def test_one_access_line_per_request_with_route_status_and_user(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    missing = uuid.uuid4()
    request_id = f"req-{uuid.uuid4().hex}"
    with caplog.at_level(logging.INFO, logger="app.access"):
        response = await client.get(
            f"{ITEMS}/{missing}",
            headers={**user_headers, "X-Request-ID": request_id},
        )

    access = [
        r
        for r in caplog.records
        if r.name == "app.access" and getattr(r, "request_id", None) == request_id
    ]
    assert response.status_code == 404
    assert len(access) == 1
    [line] = access
    assert vars(line)["method"] == "GET"
    assert vars(line)["path"] == "/api/v1/items/{item_id}"
    assert vars(line)["status"] == 404
    assert vars(line)["duration_ms"] >= 0
    assert vars(line)["user_id"] == str(user.id)
    assert str(missing) not in line.getMessage()


async def test_the_access_line_of_an_anonymous_request_has_no_user(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.access"):
        await client.get("/no/such/path")

    [line] = [r for r in caplog.records if r.name == "app.access"]
    assert vars(line)["user_id"] is None
    assert vars(line)["status"] == 404
    assert vars(line)["path"] == "<unmatched>"


# --- no secrets in logs -----------------------------------------------------------


def link_token(emails: list[ReceivedEmail], marker: str) -> str:
    for email in emails:
        text = email.part("text/plain")
        if marker in text:
            return text.split(marker)[1].split()[0]
    raise AssertionError(f"no email with {marker}")


@contextmanager
def app_log_output() -> Iterator[io.StringIO]:
    """What the app's own log handler writes (the last app built configured it)."""
    [handler] = [
        h for h in logging.getLogger().handlers if isinstance(h, GatehouseHandler)
    ]
    output = io.StringIO()
    previous = handler.setStream(output)
    try:
        yield output
    finally:
        if previous is not None:
            handler.setStream(previous)


async def test_passwords_and_tokens_never_reach_the_log(
    joined_app: Callable[..., FastAPI], mailbox: Mailbox
) -> None:
    app = joined_app(LOG_LEVEL="DEBUG", LOG_FORMAT="text")
    email = f"secretive-{uuid.uuid4().hex[:8]}@example.com"
    password = f"Unmistakable-{uuid.uuid4().hex}"
    new_password = f"Replacement-{uuid.uuid4().hex}"
    with app_log_output() as output:
        async with http_client(app) as client:
            registered = await client.post(
                REGISTER, json={"email": email, "password": password}
            )
            logged_in = await client.post(
                LOGIN, data={"username": email, "password": password}
            )
            await client.post(LOGIN, data={"username": email, "password": new_password})
            await client.post(FORGOT, json={"email": email})
            # The verification email, then the reset one.
            emails = await mailbox.wait_for(email, count=2)
            reset_token = link_token(emails, "/reset-password?token=")
            reset = await client.post(
                RESET, json={"token": reset_token, "password": new_password}
            )
    log = output.getvalue()

    assert registered.status_code == 201, registered.text
    assert logged_in.status_code == 200, logged_in.text
    assert reset.status_code == 200, reset.text
    cookie = refresh_cookie(logged_in)
    assert cookie is not None
    secrets = {
        "password": password,
        "new password": new_password,
        "access token": logged_in.json()["access_token"],
        "refresh token": cookie.value,
        "reset token": reset_token,
    }
    assert "app.access" in log  # the capture works
    for name, secret in secrets.items():
        assert secret not in log, f"the {name} was logged"


async def test_the_console_mailer_shows_links_only_outside_production(
    joined_app: Callable[..., FastAPI], db_session: AsyncSession
) -> None:
    outputs: dict[str, str] = {}
    for environment, extra in (
        ("development", {}),
        ("production", {"ALLOW_SQLITE_IN_PRODUCTION": True}),
    ):
        app = joined_app(MAIL_SERVER="", ENVIRONMENT=environment, **extra)
        user = await create_user(app, db_session, is_verified=False)
        with app_log_output() as output:
            async with http_client(app) as client:
                response = await client.post(REQUEST_VERIFY, json={"email": user.email})
                assert response.status_code == 202
        outputs[environment] = output.getvalue()

    assert JWT.search(outputs["development"]), outputs["development"]
    assert "/verify-email?token=" in outputs["production"]
    assert not JWT.search(outputs["production"]), outputs["production"]
    assert "[REDACTED]" in outputs["production"]


# --- Prometheus metrics -----------------------------------------------------------


async def test_metrics_are_404_unless_enabled(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")

    assert response.status_code == 404


async def test_metrics_count_requests_by_route_template_and_status(
    joined_app: Callable[..., FastAPI], db_session: AsyncSession
) -> None:
    app = joined_app(METRICS_ENABLED=True)
    user = await create_user(app, db_session)
    async with http_client(app) as client:
        headers = await login(client, user.email)
        for _ in range(2):
            await client.get(f"{ITEMS}/{uuid.uuid4()}", headers=headers)
        await client.get("/health")
        scraped = await client.get("/metrics")

    text = scraped.text
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert (
        'gatehouse_http_requests_total{method="GET",route="/api/v1/items/{item_id}",'
        'status="404"} 2.0'
    ) in text
    assert (
        'gatehouse_http_requests_total{method="GET",route="/health",status="200"} 1.0'
    ) in text
    assert (
        'gatehouse_http_request_duration_seconds_count{method="GET",'
        'route="/api/v1/items/{item_id}"} 2.0'
    ) in text
    assert "gatehouse_http_request_duration_seconds_bucket{" in text
    for gauge in ("size", "checked_out", "checked_in", "overflow"):
        assert re.search(rf"^gatehouse_db_pool_{gauge} \d+", text, re.MULTILINE), gauge
