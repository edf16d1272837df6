"""Rate limits on the abuse-prone routes, with their default numbers.

Counters live in process memory unless REDIS_URL is set; the Redis tests use the
shared server's DB 14 and a unique client address per test, so reruns within a
window and other helpers' keys never meet. Every client address below comes from
`X-Forwarded-For` with the ASGI peer (127.0.0.1) as the trusted proxy, unless the
test is about untrusted peers.
"""

import asyncio
import logging
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.api.rate_limits import Limits
from app.core import rate_limit
from app.core.rate_limit import RateLimiter
from app.db.session import wait_for_background_tasks
from tests.fixtures.app import http_client, make_settings
from tests.fixtures.app_factory import AppFactory, closed_port, join_test_transaction
from tests.fixtures.smtp import Mailbox, free_port
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
FORGOT = "/api/v1/auth/forgot-password"
REQUEST_VERIFY = "/api/v1/auth/request-verify-token"
CHANGE_PASSWORD = "/api/v1/users/me/password"
ME = "/api/v1/users/me"
WRONG_PASSWORD = "not-the-Passphrase-99"
REFUSED = {"detail": "RATE_LIMITED"}
SHARED_REDIS = "redis://127.0.0.1:6379/14"
FALLBACK_WARNING = "rate limiting falls back to memory"
MINUTE = 60
SOME_DATABASE = "sqlite+aiosqlite://"

LimitedApp = Callable[..., FastAPI]


def unique_ip() -> str:
    """A client address no other test (or earlier run) has used."""
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] % 254 + 1}"


def forwarded(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def limited_app(
    app_factory: AppFactory, test_sessionmaker: async_sessionmaker[AsyncSession]
) -> LimitedApp:
    """`limited_app(**settings)`: rate limiting on, the ASGI peer a trusted proxy,
    requests inside the test's rolled-back transaction."""

    def build(**overrides: Any) -> FastAPI:
        overrides.setdefault("RATE_LIMIT_ENABLED", True)
        overrides.setdefault("TRUSTED_PROXIES", ["127.0.0.1"])
        return join_test_transaction(app_factory(**overrides), test_sessionmaker)

    return build


@pytest.fixture
async def redis_cleanup() -> AsyncIterator[list[str]]:
    """Append a test's unique marker (address or email); its keys are deleted."""
    markers: list[str] = []
    yield markers
    client = aioredis.Redis.from_url(SHARED_REDIS)
    try:
        for marker in markers:
            async for key in client.scan_iter(match=f"*{marker}*"):
                await client.delete(key)
    finally:
        await client.aclose()


def fallback_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if FALLBACK_WARNING in r.getMessage()]


def assert_refused(response: httpx.Response, window_seconds: int = MINUTE) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == REFUSED
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window_seconds


async def attempt_login(
    client: httpx.AsyncClient, email: str, password: str, ip: str
) -> httpx.Response:
    return await client.post(
        LOGIN, data={"username": email, "password": password}, headers=forwarded(ip)
    )


async def register(client: httpx.AsyncClient, email: str, ip: str) -> httpx.Response:
    return await client.post(
        REGISTER,
        json={"email": email, "password": DEFAULT_PASSWORD},
        headers=forwarded(ip),
    )


# --- the settings ---------------------------------------------------------------


def test_default_limits_are_parsed_as_documented() -> None:
    settings = make_settings(SOME_DATABASE, 25, RATE_LIMIT_ENABLED=True)
    limits = Limits(settings, RateLimiter(None))

    figures = {
        name: (getattr(limits, name).amount, getattr(limits, name).get_expiry())
        for name in (
            "login_failures_per_ip",
            "login_failures_per_account",
            "login_per_ip",
            "register_per_ip",
            "email_requests_per_ip",
            "email_requests_per_address",
            "password_change_per_user",
        )
    }

    assert limits.enabled is True
    assert figures == {
        "login_failures_per_ip": (10, 60),
        "login_failures_per_account": (5, 300),
        "login_per_ip": (30, 60),
        "register_per_ip": (20, 60),
        "email_requests_per_ip": (20, 60),
        "email_requests_per_address": (5, 60),
        "password_change_per_user": (5, 60),
    }


def test_a_malformed_limit_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="RATE_LIMIT_LOGIN_PER_IP"):
        make_settings(SOME_DATABASE, 25, RATE_LIMIT_LOGIN_PER_IP="lots")


# --- login ------------------------------------------------------------------------


async def test_five_failed_logins_lock_the_account_across_addresses(
    limited_app: LimitedApp, db_session: AsyncSession
) -> None:
    app = limited_app()
    user = await create_user(app, db_session)
    async with http_client(app) as client:
        for _ in range(5):
            failed = await attempt_login(
                client, user.email, WRONG_PASSWORD, unique_ip()
            )
            assert failed.status_code == 400, failed.text

        # The right password, from yet another address, is refused too.
        refused = await attempt_login(
            client, user.email.upper(), DEFAULT_PASSWORD, unique_ip()
        )

    assert_refused(refused, window_seconds=5 * MINUTE)


async def test_successful_logins_do_not_count_as_failures(
    limited_app: LimitedApp, db_session: AsyncSession
) -> None:
    app = limited_app()
    user = await create_user(app, db_session)
    ip = unique_ip()
    async with http_client(app) as client:
        for _ in range(6):
            response = await attempt_login(client, user.email, DEFAULT_PASSWORD, ip)
            assert response.status_code == 200, response.text


async def test_ten_failed_logins_from_one_address_block_it(
    limited_app: LimitedApp, db_session: AsyncSession
) -> None:
    app = limited_app()
    user = await create_user(app, db_session)
    ip = unique_ip()
    async with http_client(app) as client:
        # Ten accounts (unknown ones fail like wrong passwords), one address.
        for n in range(10):
            failed = await attempt_login(
                client, unique_email(f"guess{n}"), WRONG_PASSWORD, ip
            )
            assert failed.status_code == 400, failed.text
        refused = await attempt_login(client, user.email, DEFAULT_PASSWORD, ip)
        elsewhere = await attempt_login(
            client, user.email, DEFAULT_PASSWORD, unique_ip()
        )

    assert_refused(refused)
    assert elsewhere.status_code == 200, elsewhere.text


async def test_thirty_logins_a_minute_from_one_address(
    limited_app: LimitedApp, db_session: AsyncSession
) -> None:
    app = limited_app()
    user = await create_user(app, db_session)
    ip = unique_ip()
    async with http_client(app) as client:
        for _ in range(30):
            response = await attempt_login(client, user.email, DEFAULT_PASSWORD, ip)
            assert response.status_code == 200, response.text
        refused = await attempt_login(client, user.email, DEFAULT_PASSWORD, ip)

    assert_refused(refused)


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    limited_app: LimitedApp, db_session: AsyncSession
) -> None:
    app = limited_app(TRUSTED_PROXIES=[], RATE_LIMIT_LOGIN_FAILURES_PER_IP="2/minute")
    user = await create_user(app, db_session)
    async with http_client(app) as client:
        for n in range(2):
            failed = await attempt_login(
                client, unique_email(f"guess{n}"), WRONG_PASSWORD, unique_ip()
            )
            assert failed.status_code == 400, failed.text
        # A fresh X-Forwarded-For does not make the peer a new client.
        refused = await attempt_login(client, user.email, DEFAULT_PASSWORD, unique_ip())

    assert_refused(refused)


async def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    limited_app: LimitedApp, db_session: AsyncSession
) -> None:
    app = limited_app(RATE_LIMIT_LOGIN_FAILURES_PER_IP="2/minute")
    user = await create_user(app, db_session)
    blocked = unique_ip()
    async with http_client(app) as client:
        for n in range(2):
            await attempt_login(
                client, unique_email(f"guess{n}"), WRONG_PASSWORD, blocked
            )
        refused = await attempt_login(client, user.email, DEFAULT_PASSWORD, blocked)
        other_client = await attempt_login(
            client, user.email, DEFAULT_PASSWORD, f"{unique_ip()}, {blocked}"
        )

    assert_refused(refused)
    # The proxy chain is walked from the nearest hop: the client is the first
    # untrusted address, not whatever the client put first.
    assert_refused(other_client)


# --- registration -------------------------------------------------------------------


async def test_twenty_registrations_a_minute_from_one_address(
    limited_app: LimitedApp,
) -> None:
    app = limited_app()
    ip = unique_ip()
    async with http_client(app) as client:
        for n in range(20):
            response = await register(client, unique_email(f"new{n}"), ip)
            assert response.status_code == 201, response.text
        refused = await register(client, unique_email("one-too-many"), ip)
        elsewhere = await register(client, unique_email("elsewhere"), unique_ip())

    assert_refused(refused)
    assert elsewhere.status_code == 201, elsewhere.text


# --- emails -----------------------------------------------------------------------


async def test_no_reset_email_past_five_requests_a_minute_per_address(
    limited_app: LimitedApp, db_session: AsyncSession, mailbox: Mailbox
) -> None:
    app = limited_app()
    user = await create_user(app, db_session)
    sentinel = await create_user(app, db_session)
    async with http_client(app) as client:
        for _ in range(5):
            response = await client.post(
                FORGOT, json={"email": user.email}, headers=forwarded(unique_ip())
            )
            assert response.status_code == 202, response.text
        await mailbox.wait_for(user.email, count=5)
        refused = await client.post(
            FORGOT, json={"email": user.email.upper()}, headers=forwarded(unique_ip())
        )
        # An email requested after the refused one arrives: the refused one
        # would have been delivered before it.
        allowed = await client.post(FORGOT, json={"email": sentinel.email})
        await mailbox.wait_for(sentinel.email)
    await wait_for_background_tasks()

    assert_refused(refused)
    assert allowed.status_code == 202, allowed.text
    assert len(mailbox.to(user.email)) == 5


async def test_twenty_email_requests_a_minute_from_one_address(
    limited_app: LimitedApp,
) -> None:
    app = limited_app()
    ip = unique_ip()
    async with http_client(app) as client:
        for n in range(20):
            path = FORGOT if n % 2 else REQUEST_VERIFY
            response = await client.post(
                path, json={"email": unique_email(f"who{n}")}, headers=forwarded(ip)
            )
            assert response.status_code == 202, response.text
        refused = await client.post(
            FORGOT, json={"email": unique_email("last")}, headers=forwarded(ip)
        )

    assert_refused(refused)


async def test_no_verification_email_past_the_limit(
    limited_app: LimitedApp, db_session: AsyncSession, mailbox: Mailbox
) -> None:
    app = limited_app(RATE_LIMIT_EMAIL_REQUESTS_PER_ADDRESS="2/minute")
    user = await create_user(app, db_session, is_verified=False)
    async with http_client(app) as client:
        for _ in range(2):
            response = await client.post(REQUEST_VERIFY, json={"email": user.email})
            assert response.status_code == 202, response.text
        await mailbox.wait_for(user.email, count=2)
        refused = await client.post(REQUEST_VERIFY, json={"email": user.email})
    await wait_for_background_tasks()

    assert_refused(refused)
    assert len(mailbox.to(user.email)) == 2


async def test_verify_and_reset_password_are_not_email_limited(
    limited_app: LimitedApp,
) -> None:
    app = limited_app(RATE_LIMIT_EMAIL_REQUESTS_PER_IP="1/minute")
    async with http_client(app) as client:
        first = await client.post(FORGOT, json={"email": unique_email("a")})
        refused = await client.post(FORGOT, json={"email": unique_email("b")})
        verify = await client.post("/api/v1/auth/verify", json={"token": "nonsense"})
        reset = await client.post(
            "/api/v1/auth/reset-password",
            json={"token": "nonsense", "password": DEFAULT_PASSWORD},
        )

    assert first.status_code == 202
    assert_refused(refused)
    assert verify.status_code == 400
    assert reset.status_code == 400


# --- password changes -------------------------------------------------------------


async def test_five_password_changes_a_minute_per_user(
    limited_app: LimitedApp, db_session: AsyncSession
) -> None:
    app = limited_app()
    user = await create_user(app, db_session)
    async with http_client(app) as client:
        headers = await login(client, user.email)
        guess = {"current_password": WRONG_PASSWORD, "new_password": WRONG_PASSWORD}
        for _ in range(4):
            response = await client.post(CHANGE_PASSWORD, json=guess, headers=headers)
            assert response.status_code == 400, response.text
        # PATCH /users/me counts when it changes the password, not otherwise.
        patched = await client.patch(
            ME,
            json={"password": WRONG_PASSWORD, "current_password": WRONG_PASSWORD},
            headers=headers,
        )
        renamed = await client.patch(
            ME, json={"full_name": "Still Me"}, headers=headers
        )
        refused_post = await client.post(CHANGE_PASSWORD, json=guess, headers=headers)
        refused_patch = await client.patch(
            ME,
            json={"password": WRONG_PASSWORD, "current_password": DEFAULT_PASSWORD},
            headers=headers,
        )

    assert patched.status_code == 400, patched.text
    assert renamed.status_code == 200, renamed.text
    assert_refused(refused_post)
    assert_refused(refused_patch)


async def test_every_refusal_looks_the_same(
    limited_app: LimitedApp, db_session: AsyncSession
) -> None:
    app = limited_app(
        RATE_LIMIT_LOGIN_PER_IP="1/minute",
        RATE_LIMIT_REGISTER_PER_IP="1/minute",
        RATE_LIMIT_EMAIL_REQUESTS_PER_ADDRESS="1/minute",
    )
    user = await create_user(app, db_session)
    refusals: list[httpx.Response] = []
    async with http_client(app) as client:
        ip = unique_ip()
        await attempt_login(client, user.email, DEFAULT_PASSWORD, ip)
        refusals.append(await attempt_login(client, user.email, DEFAULT_PASSWORD, ip))
        await register(client, unique_email("first"), ip)
        refusals.append(await register(client, unique_email("second"), ip))
        await client.post(FORGOT, json={"email": user.email})
        refusals.append(await client.post(FORGOT, json={"email": user.email}))

    for refused in refusals:
        assert_refused(refused)
    assert {r.content for r in refusals} == {refusals[0].content}


async def test_limits_are_off_when_disabled(
    limited_app: LimitedApp, db_session: AsyncSession
) -> None:
    app = limited_app(RATE_LIMIT_ENABLED=False, RATE_LIMIT_LOGIN_PER_IP="1/minute")
    user = await create_user(app, db_session)
    async with http_client(app) as client:
        for _ in range(3):
            await login(client, user.email)


# --- Redis --------------------------------------------------------------------------


async def test_two_instances_sharing_redis_share_the_counters(
    limited_app: LimitedApp, redis_cleanup: list[str]
) -> None:
    ip = unique_ip()
    redis_cleanup.append(ip)
    settings = {"REDIS_URL": SHARED_REDIS, "RATE_LIMIT_REGISTER_PER_IP": "2/minute"}
    first, second = limited_app(**settings), limited_app(**settings)
    async with http_client(first) as one, http_client(second) as two:
        assert (await register(one, unique_email("one"), ip)).status_code == 201
        assert (await register(two, unique_email("two"), ip)).status_code == 201
        refused = await register(one, unique_email("three"), ip)

    assert_refused(refused)
    assert first.state.limits.limiter.using_redis


async def test_instances_without_redis_count_apart(limited_app: LimitedApp) -> None:
    ip = unique_ip()
    settings = {"RATE_LIMIT_REGISTER_PER_IP": "1/minute"}
    first, second = limited_app(**settings), limited_app(**settings)
    async with http_client(first) as one, http_client(second) as two:
        assert (await register(one, unique_email("one"), ip)).status_code == 201
        assert (await register(two, unique_email("two"), ip)).status_code == 201


async def test_unreachable_redis_falls_back_to_memory_with_a_warning(
    limited_app: LimitedApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = limited_app(
        REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0",
        RATE_LIMIT_REGISTER_PER_IP="2/minute",
    )
    ip = unique_ip()
    with caplog.at_level(logging.WARNING, logger="app.core.rate_limit"):
        async with http_client(app) as client:
            first = await register(client, unique_email("one"), ip)
            second = await register(client, unique_email("two"), ip)
            refused = await register(client, unique_email("three"), ip)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    # Still limited, by the in-memory counters.
    assert_refused(refused)
    warnings = fallback_warnings(caplog)
    assert warnings
    assert all(r.levelno == logging.WARNING for r in warnings)


@contextmanager
def start_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of the test's own on `port` (killed afterwards)."""
    executable = shutil.which("redis-server")
    assert executable, "redis-server is not installed (apt-get install redis-server)"
    process = subprocess.Popen(
        [executable, "--port", str(port), "--save", "", "--daemonize", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.fixture
def redis_server() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    with start_redis(port) as process:
        yield process, port


async def wait_for_redis(url: str, within: float = 10) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        async with asyncio.timeout(within):
            while True:
                try:
                    await client.ping()
                    return
                except (ConnectionError, aioredis.ConnectionError):
                    await asyncio.sleep(0.05)
    finally:
        await client.aclose()


async def test_redis_dying_mid_traffic_does_not_fail_requests(
    limited_app: LimitedApp,
    redis_server: tuple[subprocess.Popen[bytes], int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    process, port = redis_server
    url = f"redis://127.0.0.1:{port}/0"
    await wait_for_redis(url)
    app = limited_app(REDIS_URL=url, RATE_LIMIT_REGISTER_PER_IP="3/minute")
    ip = unique_ip()
    with caplog.at_level(logging.WARNING, logger="app.core.rate_limit"):
        async with http_client(app) as client:
            before = await register(client, unique_email("before"), ip)
            probe = aioredis.Redis.from_url(url)
            counted = [key async for key in probe.scan_iter(match=f"*{ip}*")]
            await probe.aclose()
            assert not fallback_warnings(caplog)

            process.kill()
            process.wait(timeout=10)
            after = [
                await register(client, unique_email(f"after{n}"), ip) for n in range(3)
            ]
            refused = await register(client, unique_email("refused"), ip)

    assert before.status_code == 201, before.text
    assert counted, "the registration was counted in Redis"
    assert [r.status_code for r in after] == [201, 201, 201]
    # Counting goes on in memory (it starts afresh there).
    assert_refused(refused)
    assert fallback_warnings(caplog)
    assert not app.state.limits.limiter.using_redis


async def test_redis_is_used_again_once_it_is_back(
    limited_app: LimitedApp,
    redis_server: tuple[subprocess.Popen[bytes], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No pause before retrying Redis, so the test need not wait it out.
    monkeypatch.setattr(rate_limit, "REDIS_RETRY_AFTER_SECONDS", 0.0)
    process, port = redis_server
    url = f"redis://127.0.0.1:{port}/0"
    await wait_for_redis(url)
    app = limited_app(REDIS_URL=url)
    ip = unique_ip()
    async with http_client(app) as client:
        process.kill()
        process.wait(timeout=10)
        during = await register(client, unique_email("during"), ip)
        with start_redis(port):
            await wait_for_redis(url)
            after = await register(client, unique_email("after"), ip)
            probe = aioredis.Redis.from_url(url)
            counted = [key async for key in probe.scan_iter(match=f"*{ip}*")]
            await probe.aclose()

    assert during.status_code == 201, during.text
    assert after.status_code == 201, after.text
    assert counted, "the registration after the restart was counted in Redis"


async def test_the_limited_routes_document_the_429(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]

    documented = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "429" in operation["responses"]
    }

    assert documented == {
        ("POST", LOGIN),
        ("POST", REGISTER),
        ("POST", FORGOT),
        ("POST", REQUEST_VERIFY),
        ("POST", CHANGE_PASSWORD),
        ("PATCH", ME),
        # A second-factor code counts as a login attempt for the account.
        ("POST", "/api/v1/auth/mfa/verify"),
        ("POST", "/api/v1/auth/mfa/recovery-codes"),
        ("DELETE", "/api/v1/auth/mfa/totp"),
    }
