"""Two instances behind one PgBouncer and one Redis keep one-process promises.

Instance A runs two uvicorn workers, B one; every database connection goes
through PgBouncer in transaction mode with four server connections in all.
"""

import asyncio
import itertools
import sys
import uuid

import httpx
import pytest

from app.sessions.transport import REFRESH_COOKIE_NAME
from tests.fixtures.users import DEFAULT_PASSWORD
from tests.scale.conftest import Pair, Stack
from tests.scale.stack import api_instance, run_to_end

pytestmark = pytest.mark.scale

API = "/api/v1"
CSRF = {"X-Requested-With": "XMLHttpRequest"}
NEW_PASSWORD = "another-long-Passphrase-7"
# The mixed load: this many users, each one register, login, refresh and a
# handful of item requests, spread over both instances; bounded by request
# count, never by time.
LOAD_USERS = 24
LOAD_CONCURRENCY = 8
PREPARED_STATEMENT_ERRORS = ("prepared statement", "DuplicatePreparedStatement")


def unique_ip() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] % 254 + 1}"


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


class Client:
    """One person's SPA: an access token and the refresh cookie, any instance."""

    def __init__(self, email: str, ip: str) -> None:
        self.email = email
        self.ip = ip
        self.access_token = ""
        self.refresh_token = ""
        self.statuses: list[tuple[str, int]] = []

    def _headers(self, *, cookie: bool = False) -> dict[str, str]:
        headers = {"X-Forwarded-For": self.ip}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        if cookie:
            headers.update(CSRF)
            headers["Cookie"] = f"{REFRESH_COOKIE_NAME}={self.refresh_token}"
        return headers

    async def request(
        self, base_url: str, method: str, path: str, **kwargs: object
    ) -> httpx.Response:
        cookie = bool(kwargs.pop("cookie", False))
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            response = await http.request(
                method,
                f"{API}{path}",
                headers=self._headers(cookie=cookie),
                **kwargs,  # type: ignore[arg-type]
            )
        self.statuses.append((f"{method} {path}", response.status_code))
        return response

    def _keep_tokens(self, response: httpx.Response) -> None:
        self.access_token = response.json()["access_token"]
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            if name == REFRESH_COOKIE_NAME:
                self.refresh_token = rest.split(";", 1)[0]

    async def register(self, base_url: str) -> httpx.Response:
        return await self.request(
            base_url,
            "POST",
            "/auth/register",
            json={"email": self.email, "password": DEFAULT_PASSWORD},
        )

    async def login(self, base_url: str, password: str = DEFAULT_PASSWORD) -> None:
        response = await self.request(
            base_url,
            "POST",
            "/auth/login",
            data={"username": self.email, "password": password},
        )
        assert response.status_code == 200, response.text
        self._keep_tokens(response)

    async def refresh(self, base_url: str) -> httpx.Response:
        response = await self.request(base_url, "POST", "/auth/refresh", cookie=True)
        if response.status_code == 200:
            self._keep_tokens(response)
        return response

    async def me(self, base_url: str) -> httpx.Response:
        return await self.request(base_url, "GET", "/users/me")


async def signed_in(base_url: str, label: str) -> Client:
    client = Client(unique_email(label), unique_ip())
    assert (await client.register(base_url)).status_code == 201
    await client.login(base_url)
    return client


async def one_users_load(pair: Pair, index: int) -> Client:
    first, second = (pair.a, pair.b) if index % 2 else (pair.b, pair.a)
    client = Client(unique_email(f"load{index}"), unique_ip())
    await client.register(first.base_url)
    await client.login(second.base_url)
    await client.refresh(first.base_url)
    created = await client.request(
        second.base_url, "POST", "/items", json={"title": f"item {index}"}
    )
    item_id = created.json().get("id", "")
    await client.request(first.base_url, "GET", f"/items/{item_id}")
    await client.request(second.base_url, "GET", "/items")
    await client.request(
        first.base_url, "PATCH", f"/items/{item_id}", json={"title": "renamed"}
    )
    await client.me(second.base_url)
    await client.refresh(second.base_url)
    await client.request(first.base_url, "DELETE", f"/items/{item_id}")
    return client


async def test_mixed_load_across_instances_has_no_5xx_and_no_statement_errors(
    instances: Pair,
) -> None:
    gate = asyncio.Semaphore(LOAD_CONCURRENCY)

    async def bounded(index: int) -> Client:
        async with gate:
            return await one_users_load(instances, index)

    clients = await asyncio.gather(*(bounded(i) for i in range(LOAD_USERS)))

    statuses = list(itertools.chain.from_iterable(c.statuses for c in clients))
    assert len(statuses) == LOAD_USERS * 10
    assert [s for s in statuses if s[1] >= 500] == []
    # Every step succeeded, not merely "no 5xx".
    assert {code for _, code in statuses} <= {200, 201, 204}, statuses
    for instance in (instances.a, instances.b):
        log = instance.log()
        assert not any(error in log for error in PREPARED_STATEMENT_ERRORS), log


async def hits_until_refused(base_urls: list[str], ip: str, attempts: int) -> list[int]:
    """Registrations from `ip`, round-robin over `base_urls`: their statuses."""
    statuses = []
    for index in range(attempts):
        client = Client(unique_email("limited"), ip)
        response = await client.register(base_urls[index % len(base_urls)])
        statuses.append(response.status_code)
    return statuses


async def test_the_rate_limit_is_one_budget_across_instances(stack: Stack) -> None:
    env = stack.env(RATE_LIMIT_REGISTER_PER_IP="5/minute")
    async with (
        api_instance("limited A", env) as a,
        api_instance("limited B", env) as b,
    ):
        one = await hits_until_refused([a.base_url], unique_ip(), 8)
        spread = await hits_until_refused([a.base_url, b.base_url], unique_ip(), 8)

    assert one == [201] * 5 + [429] * 3
    assert spread == one


async def test_a_rotated_refresh_token_is_refused_by_the_other_instance(
    instances: Pair,
) -> None:
    client = await signed_in(instances.a.base_url, "rotate")
    stolen = client.refresh_token

    assert (await client.refresh(instances.a.base_url)).status_code == 200
    replay = Client(client.email, client.ip)
    replay.refresh_token = stolen
    refused = await replay.refresh(instances.b.base_url)

    assert refused.status_code == 401, refused.text
    # Reuse of a rotated token ends the whole session, on every instance.
    assert (await client.me(instances.b.base_url)).status_code == 401
    assert (await client.refresh(instances.a.base_url)).status_code == 401


async def test_a_session_revoked_on_one_instance_is_refused_by_the_other(
    instances: Pair,
) -> None:
    laptop = await signed_in(instances.a.base_url, "revoke")
    phone = Client(laptop.email, laptop.ip)
    await phone.login(instances.b.base_url)
    assert (await phone.me(instances.b.base_url)).status_code == 200
    listed = await laptop.request(instances.a.base_url, "GET", "/users/me/sessions")
    # The phone's is the newer of the two.
    phone_session = max(listed.json()["items"], key=lambda s: s["created_at"])["id"]

    revoked = await laptop.request(
        instances.a.base_url, "DELETE", f"/users/me/sessions/{phone_session}"
    )

    assert revoked.status_code == 204, revoked.text
    assert (await phone.me(instances.b.base_url)).status_code == 401
    assert (await phone.refresh(instances.b.base_url)).status_code == 401
    assert (await laptop.me(instances.b.base_url)).status_code == 200


async def test_logout_on_one_instance_ends_the_access_token_on_the_other(
    instances: Pair,
) -> None:
    client = await signed_in(instances.b.base_url, "logout")
    assert (await client.me(instances.a.base_url)).status_code == 200

    logout = await client.request(
        instances.b.base_url, "POST", "/auth/logout", cookie=True
    )

    assert logout.status_code == 204, logout.text
    assert (await client.me(instances.a.base_url)).status_code == 401


async def test_a_password_change_on_one_instance_kills_tokens_on_the_other(
    instances: Pair,
) -> None:
    client = await signed_in(instances.a.base_url, "password")
    other_device = Client(client.email, client.ip)
    await other_device.login(instances.b.base_url)
    assert (await other_device.me(instances.b.base_url)).status_code == 200

    changed = await client.request(
        instances.a.base_url,
        "POST",
        "/users/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert changed.status_code == 204, changed.text
    assert (await other_device.me(instances.b.base_url)).status_code == 401
    assert (await client.me(instances.b.base_url)).status_code == 401
    await client.login(instances.b.base_url, NEW_PASSWORD)
    assert (await client.me(instances.a.base_url)).status_code == 200


async def test_the_stats_cache_is_shared_by_the_instances(
    stack: Stack, instances: Pair
) -> None:
    admin = Client(unique_email("admin"), unique_ip())
    code, log = await run_to_end(
        [sys.executable, "-m", "commands.create_superuser", "--if-configured"],
        stack.env(
            FIRST_SUPERUSER_EMAIL=admin.email,
            FIRST_SUPERUSER_PASSWORD=DEFAULT_PASSWORD,
            DATABASE_URL=stack.direct_url,
            DATABASE_POOLER="none",
        ),
    )
    assert code == 0, log
    await admin.login(instances.a.base_url)

    first = await admin.request(instances.a.base_url, "GET", "/stats")
    await signed_in(instances.a.base_url, "after-stats")
    second = await admin.request(instances.b.base_url, "GET", "/stats")

    assert first.status_code == second.status_code == 200
    # B answers A's cached numbers (one computation for the deployment), not
    # its own count, which would include the user registered in between.
    assert second.json() == first.json()
