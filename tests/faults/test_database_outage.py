"""PostgreSQL goes down and comes back: 503s meanwhile, then the same app recovers.

The test runs a PostgreSQL cluster of its own (initdb/pg_ctl in a temporary
directory, on a free port), never the shared one, and stops it with
`pg_ctl stop -m immediate` as a crash would.
"""

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory
from tests.fixtures.database import run_alembic
from tests.fixtures.smtp import free_port
from tests.fixtures.users import DEFAULT_PASSWORD, login

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# initdb refuses to run as root; the cluster then belongs to this user.
CLUSTER_OWNER = "postgres"
POOL_TIMEOUT = 2.0
# Bounds every call while the database is down: a hang fails the test quickly.
OUTAGE_BOUND_SECONDS = POOL_TIMEOUT * 5
UNAVAILABLE = {"detail": "SERVICE_UNAVAILABLE"}


def _command(*args: str) -> list[str]:
    if os.geteuid() != 0:
        return list(args)
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.fail("running as root needs runuser to start PostgreSQL as a user")
    return [runuser, "-u", CLUSTER_OWNER, "--", *args]


@dataclass
class Cluster:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), *args)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        log = str(self.directory / "server.log")
        self.pg_ctl("start", "-w", "-t", "30", "-o", options, "-l", log)

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "immediate", "-w")

    def run(self, *args: str) -> None:
        completed = subprocess.run(
            _command(*args), capture_output=True, text=True, timeout=60, check=False
        )
        if completed.returncode != 0:
            log = self.directory / "server.log"
            server_log = log.read_text() if log.exists() else ""
            pytest.fail(
                f"{' '.join(args)} failed ({completed.returncode}):\n"
                f"{completed.stdout}{completed.stderr}{server_log}"
            )


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    initdb = PG_BIN / "initdb"
    if not initdb.exists():
        pytest.fail(
            f"PostgreSQL server binaries not found in {PG_BIN} (set PG_BIN, or "
            "install postgresql-15): the outage test needs its own cluster"
        )
    directory = Path(tempfile.mkdtemp(prefix="gatehouse-pg-"))
    directory.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, CLUSTER_OWNER)
    cluster = Cluster(directory, free_port())
    cluster.run(
        str(initdb),
        "-D",
        str(directory / "data"),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--no-sync",
    )
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(
            _command(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(directory / "data"),
                "stop",
                "-m",
                "immediate",
            ),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(directory, ignore_errors=True)


async def bounded(call: Awaitable[httpx.Response]) -> httpx.Response:
    async with asyncio.timeout(OUTAGE_BOUND_SECONDS):
        return await call


async def test_outage_is_503_and_the_same_app_recovers(
    app_factory: AppFactory, cluster: Cluster
) -> None:
    await run_alembic(cluster.url, "upgrade", "head")
    app = app_factory(DATABASE_URL=cluster.url, DATABASE_POOL_TIMEOUT=POOL_TIMEOUT)
    async with http_client(app) as client:
        registered = await client.post(
            "/api/v1/auth/register",
            json={"email": "steady@example.com", "password": DEFAULT_PASSWORD},
        )
        assert registered.status_code == 201, registered.text
        headers = await login(client, "steady@example.com")
        assert (
            await client.get("/api/v1/users/me", headers=headers)
        ).status_code == 200
        assert (await client.get("/health")).status_code == 200

        cluster.stop()
        health_down = await bounded(client.get("/health"))
        me_down = await bounded(client.get("/api/v1/users/me", headers=headers))
        register_down = await bounded(
            client.post(
                "/api/v1/auth/register",
                json={"email": "lost@example.com", "password": DEFAULT_PASSWORD},
            )
        )

        cluster.start()
        health_up = await client.get("/health")
        me_up = await client.get("/api/v1/users/me", headers=headers)

    assert health_down.status_code == 503
    assert health_down.json()["checks"]["database"]["status"] == "error"
    for response in (me_down, register_down):
        assert response.status_code == 503, response.text
        assert response.json() == UNAVAILABLE
        assert response.headers["content-type"] == "application/json"
    assert health_up.status_code == 200, health_up.text
    assert me_up.status_code == 200, me_up.text
    assert me_up.json()["email"] == "steady@example.com"
