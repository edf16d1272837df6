"""Start-up problems, as a person meets them: one line each, exit status 2.

Every way of starting gatehouse (the commands, uvicorn, alembic, start.sh) is
run as a real process against a bad configuration or an unreachable database.
"""

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.core.config import PROJECT_ROOT
from tests.commands.cli import Result, cli_env, run_cli
from tests.fixtures.app_factory import closed_port
from tests.fixtures.smtp import free_port

START = (str(PROJECT_ROOT / "start.sh"),)
MIGRATE = ("-m", "commands.migrate")
ALEMBIC = ("-m", "alembic", "upgrade", "head")
DATABASE_COMMANDS = {
    "migrate": MIGRATE,
    "create_superuser": (
        "-m",
        "commands.create_superuser",
        "--email",
        "admin@example.com",
        "--password",
        "correct-Horse-battery-7",
    ),
    "send_emails": ("-m", "commands.send_emails", "--once"),
    "purge_tokens": ("-m", "commands.purge_tokens"),
    "reset_mfa": ("-m", "commands.reset_mfa", "someone@example.com"),
    "alembic": ALEMBIC,
}
EVERY_ENTRY_POINT = {
    **DATABASE_COMMANDS,
    "send_test_email": ("-m", "commands.send_test_email", "--to", "a@example.com"),
    "startup_summary": ("-m", "commands.startup_summary", "--url", "http://x"),
    "uvicorn": ("-m", "uvicorn", "app.asgi:app", "--port", "0"),
}


def postgres_server() -> str:
    """The PostgreSQL server the suite may use, as `host:port` (nothing is created)."""
    url = make_url(
        os.environ.get("TEST_DATABASE_URL") or "postgresql://127.0.0.1:5432/x"
    )
    return f"{url.host or '127.0.0.1'}:{url.port or 5432}"


@pytest.fixture(scope="module")
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers: a timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def unreachable(kind: str, tmp_path: Path, silent_port: int) -> tuple[str, str]:
    """A database URL that cannot be used, and what the message must say."""
    if kind == "closed-port":
        port = closed_port()
        return (
            f"postgresql://postgres@127.0.0.1:{port}/gatehouse",
            f"PostgreSQL at 127.0.0.1:{port} (database 'gatehouse', user "
            "'postgres'): connection refused",
        )
    if kind == "wrong-user":
        return (
            f"postgresql://gatehouse_no_such_role@{postgres_server()}/postgres",
            'the server refused the login: role "gatehouse_no_such_role" does '
            "not exist",
        )
    if kind == "missing-database":
        return (
            f"postgresql://postgres@{postgres_server()}/gatehouse_no_such_database",
            'database "gatehouse_no_such_database" does not exist',
        )
    if kind == "timeout":
        return (
            f"postgresql://postgres@127.0.0.1:{silent_port}/gatehouse",
            f"PostgreSQL at 127.0.0.1:{silent_port} (database 'gatehouse', user "
            "'postgres'): timeout",
        )
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    return (
        f"sqlite:///{blocker / 'gatehouse.db'}",
        f"the SQLite file {blocker / 'gatehouse.db'}: cannot create the directory "
        f"{blocker}: {blocker} is a file",
    )


def assert_one_line_error(result: Result, expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("Error: cannot use "), errors[0]
    assert expected in errors[0]


KINDS = ["closed-port", "wrong-user", "missing-database", "timeout", "sqlite"]


@pytest.mark.parametrize("kind", KINDS)
async def test_migrate_names_an_unreachable_database_in_one_line(
    tmp_path: Path, silent_server: int, kind: str
) -> None:
    url, expected = unreachable(kind, tmp_path, silent_server)

    result = await run_cli(*MIGRATE, env=cli_env(url, DATABASE_POOL_TIMEOUT="1"))

    assert_one_line_error(result, expected)


@pytest.mark.parametrize("command", sorted(DATABASE_COMMANDS))
async def test_every_database_command_names_an_unreachable_database(
    tmp_path: Path, silent_server: int, command: str
) -> None:
    url, expected = unreachable("closed-port", tmp_path, silent_server)

    result = await run_cli(*DATABASE_COMMANDS[command], env=cli_env(url))

    assert_one_line_error(result, expected)


def misconfigured(database_url: str) -> dict[str, str]:
    """Production with no secrets, plain-HTTP cookies, SQLite and a bad port."""
    return cli_env(
        database_url,
        ENVIRONMENT="production",
        SECRET_KEY="",
        RESET_PASSWORD_SECRET_KEY="",
        VERIFICATION_SECRET_KEY="change-me",
        REFRESH_COOKIE_SECURE="false",
        MAIL_PORT="not-a-port",
    )


EXPECTED_PROBLEMS = [
    "  DATABASE_URL: points at SQLite while ENVIRONMENT=production",
    "  SECRET_KEY: must be set when ENVIRONMENT=production",
    "  RESET_PASSWORD_SECRET_KEY: must be set when ENVIRONMENT=production",
    "  VERIFICATION_SECRET_KEY: is too weak: use at least 32 random characters",
    "  REFRESH_COOKIE_SECURE: false is refused when ENVIRONMENT=production",
    "  MAIL_PORT: Input should be a valid integer, unable to parse string as an "
    "integer (got 'not-a-port')",
]


@pytest.mark.parametrize("entry_point", sorted(EVERY_ENTRY_POINT))
async def test_every_configuration_problem_is_listed_at_once(
    tmp_path: Path, entry_point: str
) -> None:
    env = misconfigured(f"sqlite:///{tmp_path / 'gatehouse.db'}")

    result = await run_cli(*EVERY_ENTRY_POINT[entry_point], env=env)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    header = "Error: invalid configuration (6 problems; see .env.example):"
    assert header in lines, result.stderr
    problems = lines[lines.index(header) + 1 :][: len(EXPECTED_PROBLEMS)]
    for line, expected in zip(problems, EXPECTED_PROBLEMS, strict=True):
        assert line.startswith(expected), (line, expected)
    assert not (tmp_path / "gatehouse.db").exists()


# --- start.sh ------------------------------------------------------------------


def start_env(database_url: str, **variables: str) -> dict[str, str]:
    return cli_env(database_url, HOST="127.0.0.1", PORT=str(free_port()), **variables)


async def test_start_sh_stops_at_an_unreachable_database_in_one_line(
    tmp_path: Path, silent_server: int
) -> None:
    url, expected = unreachable("closed-port", tmp_path, silent_server)

    result = await run_cli(*START, env=start_env(url))

    assert_one_line_error(result, expected)
    assert "Serving on" not in result.stderr


async def test_start_sh_lists_every_configuration_problem(tmp_path: Path) -> None:
    env = start_env(
        f"sqlite:///{tmp_path / 'gatehouse.db'}",
        MAIL_PORT="not-a-port",
        CORS_ORIGINS="*",
        RATE_LIMIT_LOGIN_PER_IP="often",
    )

    result = await run_cli(*START, env=env)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Error: invalid configuration (3 problems; see .env.example):" in (
        result.stderr
    )
    for name in ("MAIL_PORT", "CORS_ORIGINS", "RATE_LIMIT_LOGIN_PER_IP"):
        assert f"\n  {name}: " in result.stderr
    assert "Serving on" not in result.stderr


async def test_start_sh_in_production_installs_without_development_tools(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"
    # A configuration error stops it right after installing: nothing is served.
    env = {
        **misconfigured(f"sqlite:///{tmp_path / 'gatehouse.db'}"),
        "UV_PROJECT_ENVIRONMENT": str(venv),
    }

    result = await run_cli(*START, env=env)

    assert "uv sync --frozen --no-dev" in result.stderr
    assert result.exit_code == 2, result.output
    site_packages = next(venv.glob("lib/python*/site-packages"))
    installed = {path.name.split("-")[0].lower() for path in site_packages.iterdir()}
    assert {"fastapi", "uvicorn", "alembic"} <= installed
    assert not {"ruff", "mypy", "pytest", "schemathesis"} & installed
