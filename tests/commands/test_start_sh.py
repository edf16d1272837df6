"""`./start.sh` for real: it migrates, serves, and says where things are."""

import asyncio
import os
import signal
from pathlib import Path

from app.core.config import PROJECT_ROOT
from commands.startup_summary import summary
from tests.commands.cli import CHILD_DEADLINE_SECONDS, cli_env
from tests.fixtures.app import make_settings
from tests.fixtures.smtp import free_port

SECRET_NAMES = (
    "SECRET_KEY",
    "RESET_PASSWORD_SECRET_KEY",
    "VERIFICATION_SECRET_KEY",
    "MFA_ENCRYPTION_KEY",
)


async def read_until(stream: asyncio.StreamReader, marker: str) -> str:
    seen = ""
    while marker not in seen:
        line = await stream.readline()
        if not line:
            raise AssertionError(f"start.sh ended before {marker!r}:\n{seen}")
        seen += line.decode()
    return seen


async def test_start_sh_serves_and_prints_where_things_are(tmp_path: Path) -> None:
    port = free_port()
    database = tmp_path / "state" / "gatehouse.db"
    env = cli_env(
        f"sqlite:///{database}",
        ENVIRONMENT="development",
        HOST="127.0.0.1",
        PORT=str(port),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT="2525",
        MAIL_PASSWORD="mail-Password-never-shown",
        FIRST_SUPERUSER_EMAIL="admin@example.com",
        FIRST_SUPERUSER_PASSWORD="Operator-Password-never-shown",
    )
    for name in SECRET_NAMES:  # development secrets come from the file
        del env[name]
    process = await asyncio.create_subprocess_exec(
        str(PROJECT_ROOT / "start.sh"),
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(CHILD_DEADLINE_SECONDS):
            output = await read_until(process.stdout, "  Secrets:")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        await process.wait()

    url = f"http://127.0.0.1:{port}"
    assert "Applying database migrations (python -m commands.migrate)" in output
    assert "Created the superuser admin@example.com" in output
    assert f"\n  API:       {url}/api/v1\n" in output
    assert f"\n  Docs:      {url}/docs (Swagger UI), {url}/redoc (ReDoc)\n" in output
    assert f"\n  Database:  SQLite file {database}\n" in output
    assert "\n  Emails:    sent by SMTP through 127.0.0.1:2525\n" in output
    secrets_file = PROJECT_ROOT / ".gatehouse" / "secrets.json"
    assert f"\n  Secrets:   development secrets from {secrets_file}" in output
    assert "never-shown" not in output
    assert database.exists()


def test_the_summary_hides_the_database_password_and_names_the_log() -> None:
    settings = make_settings(
        "postgresql://app:db-Password-never-shown@db.internal:5432/gatehouse",
        25,
        MAIL_SERVER="",
    )

    lines = summary(settings, "http://localhost:8000")

    assert "  Database:  postgresql+asyncpg://app:***@db.internal:5432/gatehouse" in (
        lines
    )
    assert "  Emails:    written to the log (no MAIL_SERVER set)" in lines
    assert not any("never-shown" in line for line in lines)
    assert not any(line.startswith("  Secrets:") for line in lines)
