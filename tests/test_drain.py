"""SIGTERM on a real server: readiness fails at once, serving goes on, then exit.

The scale suite (tests/scale/) does this under load with two workers behind
PgBouncer; this is the single-process case on SQLite, in the default suite.
"""

import asyncio
import signal
from pathlib import Path

import httpx

from tests.commands.cli import cli_env
from tests.fixtures.server import STOP_DEADLINE_SECONDS, running_server


async def first_not_ready(probe: httpx.AsyncClient) -> httpx.Response:
    async with asyncio.timeout(STOP_DEADLINE_SECONDS):
        while True:
            response = await probe.get("/health/ready")
            if response.status_code != 200:
                return response
            await asyncio.sleep(0.02)


async def test_sigterm_fails_readiness_while_still_serving_then_exits(
    tmp_path: Path,
) -> None:
    env = cli_env(
        f"sqlite+aiosqlite:///{tmp_path / 'drain.db'}",
        # Generous: the test must see the drain before the server stops.
        SHUTDOWN_DRAIN_SECONDS="6",
        OUTBOX_WORKER_ENABLED="false",
    )
    async with running_server(env) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as probe:
            assert (await probe.get("/health/ready")).status_code == 200
            server.process.send_signal(signal.SIGTERM)
            ready = await first_not_ready(probe)
            live = await probe.get("/health/live")
        async with asyncio.timeout(STOP_DEADLINE_SECONDS):
            code = await server.process.wait()
        log = server.log()

    assert ready.status_code == 503
    assert ready.json()["checks"]["process"]["error"] == "SHUTTING_DOWN"
    # Still serving: the load balancer has time to stop sending requests.
    assert live.status_code == 200
    # A graceful stop: uvicorn finishes, then re-raises the signal it caught.
    assert code in (0, -signal.SIGTERM), log
    assert "Application shutdown complete" in log
