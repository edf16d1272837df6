"""The pieces of a scaled-out deployment, for real, on this machine.

PgBouncer (Debian's package) in transaction mode with a small pool in front of
the shared PostgreSQL, a database of our own behind it, the shared Redis under a
key prefix of our own, and gatehouse processes (`python -m app.serve`,
`python -m commands.worker`) started as an operator would start them.
"""

import asyncio
import os
import pwd
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.core.config import PROJECT_ROOT, normalize_database_url
from tests.fixtures.app import TEST_SECRETS
from tests.fixtures.smtp import free_port

# Guards against a process that never comes up or never stops; no test asserts
# on the time anything takes.
START_DEADLINE_SECONDS = 90
STOP_DEADLINE_SECONDS = 60
# Server connections PgBouncer opens to PostgreSQL for one database: far fewer
# than the app's client connections, so they are shared transaction by
# transaction -- where named prepared statements would collide.
PGBOUNCER_POOL_SIZE = 4
PGBOUNCER_PATHS = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")
# The shared Redis; the key prefix (unique per run) keeps runs apart.
SCALE_REDIS_DB = 13


def pgbouncer_binary() -> str | None:
    found = shutil.which("pgbouncer")
    if found:
        return found
    return next((path for path in PGBOUNCER_PATHS if os.access(path, os.X_OK)), None)


@dataclass
class PgBouncer:
    host: str
    port: int
    process: asyncio.subprocess.Process
    log_path: Path

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{database}"

    def log(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")


def _run_as() -> dict[str, int]:
    """PgBouncer refuses to run as root: run it as `postgres` then."""
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam("postgres")
    return {"user": user.pw_uid, "group": user.pw_gid}


def pgbouncer_config(
    directory: Path, port: int, server: tuple[str, int], pool_size: int
) -> str:
    host, server_port = server
    return f"""\
[databases]
* = host={host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "userlist.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 400
max_db_connections = {pool_size}
; Prepared statements of transaction mode's clients (unique names, see
; app/db/session.py) are dropped when a server connection is released.
server_reset_query = DISCARD ALL
server_reset_query_always = 1
ignore_startup_parameters = extra_float_digits
logfile = {directory / "pgbouncer.log"}
pidfile = {directory / "pgbouncer.pid"}
"""


@asynccontextmanager
async def running_pgbouncer(server_url: str) -> AsyncIterator[PgBouncer]:
    binary = pgbouncer_binary()
    assert binary, "pgbouncer is not installed (apt-get install pgbouncer)"
    url = make_url(server_url)
    directory = Path(tempfile.mkdtemp(prefix="gatehouse-pgbouncer-"))
    port = free_port()
    try:
        owner = _run_as()
        config = _write_config(
            directory, port, (url.host or "127.0.0.1", url.port or 5432), owner
        )
        process = await asyncio.create_subprocess_exec(
            binary,
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
            **owner,
        )
        bouncer = PgBouncer("127.0.0.1", port, process, directory / "pgbouncer.log")
        try:
            await _wait_for_port(bouncer)
            yield bouncer
        finally:
            if process.returncode is None:
                process.terminate()
                with suppress(TimeoutError):
                    async with asyncio.timeout(STOP_DEADLINE_SECONDS):
                        await process.wait()
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _write_config(
    directory: Path, port: int, server: tuple[str, int], owner: dict[str, int]
) -> Path:
    (directory / "userlist.txt").write_text('"postgres" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(pgbouncer_config(directory, port, server, PGBOUNCER_POOL_SIZE))
    if owner:
        for path in (directory, *directory.iterdir()):
            os.chown(path, owner["user"], owner["group"])
    return config


async def _wait_for_port(bouncer: PgBouncer) -> None:
    async with asyncio.timeout(START_DEADLINE_SECONDS):
        while True:
            assert bouncer.process.returncode is None, (
                f"pgbouncer exited:\n{bouncer.log()}"
            )
            try:
                _, writer = await asyncio.open_connection(bouncer.host, bouncer.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(normalize_database_url(url))
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """An empty database of our own on the server of `server_url`; its name."""
    base = make_url(normalize_database_url(server_url)).database or "test"
    name = f"{base}_scale_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def direct_url(server_url: str, database: str) -> str:
    return _asyncpg_dsn(server_url, database).replace(
        "postgresql://", "postgresql+asyncpg://", 1
    )


def stack_env(**variables: str) -> dict[str, str]:
    """A gatehouse process's environment: test settings, cheap hashing."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(
            ("FIRST_SUPERUSER_", "MIGRATIONS_DATABASE_URL", "DATABASE_", "REDIS_")
        )
    }
    env.update(
        ENVIRONMENT="test",
        LOG_FORMAT="text",
        ARGON2_MEMORY_COST_KIB="1024",
        ARGON2_TIME_COST="1",
        MAIL_STARTTLS="false",
        MAIL_SSL_TLS="false",
        MAIL_FROM="gatehouse@example.com",
        FRONTEND_URL="https://spa.example.com",
        **TEST_SECRETS,
    )
    env.update(variables)
    return env


@dataclass
class Process:
    """A gatehouse process in its own process group, its output in a file."""

    name: str
    process: asyncio.subprocess.Process
    log_file: IO[bytes]
    base_url: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")

    def send(self, signum: int) -> None:
        """To the process group: a supervisor and its workers alike (SIGKILL)."""
        with suppress(ProcessLookupError):
            if signum == signal.SIGKILL:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)

    async def wait(self) -> int:
        try:
            async with asyncio.timeout(STOP_DEADLINE_SECONDS):
                return await self.process.wait()
        except TimeoutError:
            raise AssertionError(f"{self.name} did not stop:\n{self.log()}") from None


@contextmanager
def _log_file() -> Iterator[IO[bytes]]:
    with tempfile.TemporaryFile() as log_file:
        yield log_file


@asynccontextmanager
async def started(
    name: str, command: list[str], env: dict[str, str], base_url: str = ""
) -> AsyncIterator[Process]:
    """Run `command` until the block ends; its process group is killed after."""
    with _log_file() as log_file:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
        )
        running = Process(name, process, log_file, base_url)
        try:
            yield running
        finally:
            if process.returncode is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                with suppress(TimeoutError):
                    async with asyncio.timeout(STOP_DEADLINE_SECONDS):
                        await process.wait()


def serve_command(port: int, *, migrate: bool = False) -> list[str]:
    serve = [sys.executable, "-m", "app.serve", "--host", "127.0.0.1"]
    serve += ["--port", str(port)]
    if not migrate:
        return serve
    # What a container entrypoint does: migrate (under the lock), then serve.
    script = f"{sys.executable} -m commands.migrate && exec {' '.join(serve)}"
    return ["/bin/sh", "-c", script]


async def wait_until_ready(instance: Process) -> None:
    async with httpx.AsyncClient(base_url=instance.base_url) as client:
        try:
            async with asyncio.timeout(START_DEADLINE_SECONDS):
                while instance.process.returncode is None:
                    with suppress(httpx.TransportError):
                        if (await client.get("/health/ready")).status_code == 200:
                            return
                    await asyncio.sleep(0.1)
        except TimeoutError:
            pass
    raise AssertionError(f"{instance.name} did not become ready:\n{instance.log()}")


@asynccontextmanager
async def api_instance(
    name: str, env: dict[str, str], *, migrate: bool = False, ready: bool = True
) -> AsyncIterator[Process]:
    port = free_port()
    async with started(
        name, serve_command(port, migrate=migrate), env, f"http://127.0.0.1:{port}"
    ) as instance:
        if ready:
            await wait_until_ready(instance)
        yield instance


async def run_to_end(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    async with started(command[-1], command, env) as process:
        code = await process.wait()
        return code, process.log()


def worker_command() -> list[str]:
    return [sys.executable, "-m", "commands.worker"]


def migrate_command() -> list[str]:
    return [sys.executable, "-m", "commands.migrate"]
