"""Starting and stopping instances: one migration for many, a drain on SIGTERM."""

import asyncio
import collections
import re
import signal
from collections.abc import AsyncIterator

import httpx
import pytest
from alembic.script import ScriptDirectory

from app.sessions.transport import REFRESH_COOKIE_NAME
from commands.migrate import alembic_config
from tests.fixtures.users import DEFAULT_PASSWORD
from tests.scale.conftest import Stack
from tests.scale.stack import (
    START_DEADLINE_SECONDS,
    Process,
    api_instance,
    migrate_command,
    run_to_end,
    wait_until_ready,
)
from tests.scale.test_instances import Client, signed_in, unique_email, unique_ip

pytestmark = pytest.mark.scale

UPGRADE_LINE = re.compile(r"Running upgrade (\w*) ?-> (\w+)")
# Long enough for the test to see readiness fail while requests are served;
# nothing asserts that the drain took this long.
DRAIN_SECONDS = "8"
LOAD_LOOPS = 4
# httpx's default (5 s) is too short for a busy CI machine: a guard only.
HTTP_TIMEOUT_SECONDS = 60


def every_revision() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {revision.revision for revision in script.walk_revisions()}


@pytest.mark.parametrize(
    "through", ["direct", "pgbouncer"], ids=["migrations-direct", "via-pgbouncer"]
)
async def test_two_instances_started_together_migrate_once_and_both_serve(
    empty_stack: Stack, through: str
) -> None:
    # Straight to PostgreSQL (MIGRATIONS_DATABASE_URL, as documented), or, when
    # that is forgotten, through PgBouncer: the transaction-level advisory lock
    # holds either way.
    env = empty_stack.env(
        MIGRATIONS_DATABASE_URL=empty_stack.direct_url if through == "direct" else ""
    )
    async with (
        api_instance("first", env, migrate=True, ready=False) as first,
        api_instance("second", env, migrate=True, ready=False) as second,
    ):
        await asyncio.gather(wait_until_ready(first), wait_until_ready(second))
        for instance in (first, second):
            client = Client(unique_email("after-migrate"), unique_ip())
            assert (await client.register(instance.base_url)).status_code == 201
        logs = first.log() + second.log()

    applied = collections.Counter(m.group(2) for m in UPGRADE_LINE.finditer(logs))
    assert set(applied) == every_revision(), logs
    assert set(applied.values()) == {1}, applied
    # And the database is at head: migrating again does nothing.
    code, log = await run_to_end(migrate_command(), env)
    assert code == 0, log
    assert not UPGRADE_LINE.search(log), log


async def log_contains(instance: Process, text: str, count: int = 1) -> None:
    async with asyncio.timeout(START_DEADLINE_SECONDS):
        while instance.log().count(text) < count:
            assert instance.process.returncode is None, instance.log()
            await asyncio.sleep(0.05)


async def first_not_ready(probe: httpx.AsyncClient) -> httpx.Response:
    async with asyncio.timeout(START_DEADLINE_SECONDS):
        while True:
            response = await probe.get("/health/ready")
            if response.status_code != 200:
                return response
            await asyncio.sleep(0.02)


async def held_login(
    instance: Process, client: Client, resume: asyncio.Event
) -> httpx.Response:
    """A login whose body is sent in two parts, the second once `resume` is set:
    a request that has started and is still in flight."""
    body = f"username={client.email}&password={DEFAULT_PASSWORD}".encode()

    async def parts() -> AsyncIterator[bytes]:
        yield body[:10]
        await resume.wait()
        yield body[10:]

    async with httpx.AsyncClient(
        base_url=instance.base_url, timeout=HTTP_TIMEOUT_SECONDS
    ) as http:
        return await http.post(
            "/api/v1/auth/login",
            content=parts(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": client.ip,
            },
        )


async def test_sigterm_fails_readiness_first_and_lets_started_requests_finish(
    stack: Stack,
) -> None:
    env = stack.env(WEB_CONCURRENCY="2", SHUTDOWN_DRAIN_SECONDS=DRAIN_SECONDS)
    async with api_instance("draining", env) as instance:
        client = await signed_in(instance.base_url, "drain")
        stop_load, warmed_up = asyncio.Event(), asyncio.Event()
        results: list[int] = []

        async def load() -> None:
            async with httpx.AsyncClient(
                base_url=instance.base_url, timeout=HTTP_TIMEOUT_SECONDS
            ) as http:
                while not stop_load.is_set():
                    response = await http.get(
                        "/api/v1/users/me",
                        headers={"Authorization": f"Bearer {client.access_token}"},
                    )
                    results.append(response.status_code)
                    if len(results) >= LOAD_LOOPS * 5:
                        warmed_up.set()

        loops = [asyncio.create_task(load()) for _ in range(LOAD_LOOPS)]
        resume = asyncio.Event()
        in_flight = asyncio.create_task(held_login(instance, client, resume))
        await warmed_up.wait()

        instance.send(signal.SIGTERM)
        async with httpx.AsyncClient(
            base_url=instance.base_url, timeout=HTTP_TIMEOUT_SECONDS
        ) as probe:
            ready = await first_not_ready(probe)
            live = await probe.get("/health/live")
        # The load balancer takes the instance out of rotation now.
        stop_load.set()
        await asyncio.gather(*loops)

        # Both workers stop accepting and wait for the held request...
        await log_contains(instance, "Shutting down", count=2)
        await log_contains(instance, "Waiting for connections to close")
        resume.set()
        login = await in_flight
        code = await instance.wait()
        log = instance.log()

    assert ready.status_code == 503, log
    assert ready.json()["checks"] == {
        "process": {"status": "error", "latency_ms": 0.0, "error": "SHUTTING_DOWN"}
    }, log
    assert live.status_code == 200, log
    # ...which is answered in full, as is every request of the load.
    assert login.status_code == 200, f"{login.text}\n{log}"
    assert REFRESH_COOKIE_NAME in login.headers.get("set-cookie", "")
    assert set(results) == {200}, (collections.Counter(results), log)
    assert code == 0, log
