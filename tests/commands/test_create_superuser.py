"""`python -m commands.create_superuser`: as a real process, and in-process.

The command runs against a throw-away database of its own (a migrated SQLite
file, or `<test database>_commands` on PostgreSQL), because it commits for real.
"""

import asyncio
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select as sql_select
from sqlalchemy import text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.core.config import PROJECT_ROOT, Settings
from app.db.session import wait_for_background_tasks
from app.main import create_app, dispose_engines
from app.models import User
from commands.create_superuser import create_superuser
from tests.commands.cli import CHILD_DEADLINE_SECONDS, Result, cli_env
from tests.fixtures.app import http_client, make_settings
from tests.fixtures.database import delete_all_rows, run_alembic
from tests.fixtures.smtp import Mailbox

COMMAND = (sys.executable, "-m", "commands.create_superuser")
EMAIL = "admin@example.com"
PASSWORD = "correct-Horse-battery-7"
CTRL_C, CTRL_D = "\x03", "\x04"


# --- the throw-away database ----------------------------------------------


async def _recreate_postgres_database(
    admin_url: str, name: str, *, drop_only: bool
) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            await connection.execute(
                text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            )
            if not drop_only:
                await connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def commands_database_url(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if database_url.startswith("sqlite"):
        path = tmp_path_factory.mktemp("commands") / "commands.db"
        url = f"sqlite+aiosqlite:///{path}"
        await run_alembic(url, "upgrade", "head")
        yield url
        return
    test_url = make_url(database_url)
    name = f"{test_url.database}_commands"
    await _recreate_postgres_database(database_url, name, drop_only=False)
    url = test_url.set(database=name).render_as_string(hide_password=False)
    await run_alembic(url, "upgrade", "head")
    yield url
    await _recreate_postgres_database(database_url, name, drop_only=True)


@pytest.fixture(scope="module")
def commands_settings(
    commands_database_url: str, smtp_server: tuple[Mailbox, int]
) -> Settings:
    _, port = smtp_server
    return make_settings(commands_database_url, port)


@pytest.fixture(scope="module")
async def commands_app(commands_settings: Settings) -> AsyncIterator[FastAPI]:
    """The API on the command's database, to check what the command stored."""
    application = create_app(commands_settings)
    yield application
    await dispose_engines(application)


@pytest.fixture(autouse=True)
async def empty_database(commands_app: FastAPI) -> AsyncIterator[None]:
    yield
    await wait_for_background_tasks()
    await delete_all_rows(commands_app.state.engine)


@pytest.fixture
async def api(commands_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(commands_app) as client:
        yield client


# --- helpers ----------------------------------------------------------------


command_env = cli_env


async def run_command(database_url: str, *args: str, **variables: str) -> Result:
    process = await asyncio.create_subprocess_exec(
        *COMMAND,
        *args,
        cwd=PROJECT_ROOT,
        env=command_env(database_url, **variables),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())


async def stored_users(engine: AsyncEngine) -> list[User]:
    async with AsyncSession(engine) as session:
        users = await session.scalars(sql_select(User).order_by(User.created_at))
        return list(users)


async def stored_user(engine: AsyncEngine, email: str) -> User:
    users = [u for u in await stored_users(engine) if u.email.lower() == email.lower()]
    assert len(users) == 1, users
    return users[0]


async def logged_in_profile(
    api: httpx.AsyncClient, email: str, password: str
) -> dict[str, object]:
    """Log in through the API and return /users/me: proves the stored hash."""
    response = await api.post(
        "/api/v1/auth/login", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = await api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    profile: dict[str, object] = me.json()
    return profile


def assert_superuser(user: User) -> None:
    assert (user.is_superuser, user.is_active, user.is_verified) == (True, True, True)


def must_not_ask() -> str:
    raise AssertionError("the command asked for a password it does not need")


# --- as a real process ------------------------------------------------------


async def test_creates_a_verified_superuser_who_can_log_in(
    commands_database_url: str, commands_app: FastAPI, api: httpx.AsyncClient
) -> None:
    result = await run_command(
        commands_database_url, "--email", EMAIL, "--password", PASSWORD
    )

    assert result.exit_code == 0, result.stderr
    assert f"Created the superuser {EMAIL}" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    assert_superuser(await stored_user(commands_app.state.engine, EMAIL))
    profile = await logged_in_profile(api, EMAIL, PASSWORD)
    assert profile["is_superuser"] is True
    assert profile["is_verified"] is True


async def test_running_twice_changes_nothing_the_second_time(
    commands_database_url: str, commands_app: FastAPI
) -> None:
    first = await run_command(
        commands_database_url, "--email", EMAIL, "--password", PASSWORD
    )
    assert first.exit_code == 0, first.stderr
    stored = await stored_user(commands_app.state.engine, EMAIL)

    second = await run_command(
        commands_database_url, "--email", EMAIL.upper(), "--password", "other-Pass-99"
    )

    assert second.exit_code == 0, second.stderr
    assert second.stdout == (
        f"{EMAIL} is already a superuser; nothing changed. The password is "
        "unchanged: --password only sets a new account's password (add "
        "--update-password to change this one's).\n"
    )
    users = await stored_users(commands_app.state.engine)
    assert [u.id for u in users] == [stored.id]
    assert users[0].hashed_password == stored.hashed_password


async def test_environment_variables_configure_it_for_start_up_scripts(
    commands_database_url: str, commands_app: FastAPI, api: httpx.AsyncClient
) -> None:
    result = await run_command(
        commands_database_url,
        "--if-configured",
        FIRST_SUPERUSER_EMAIL=EMAIL,
        FIRST_SUPERUSER_PASSWORD=PASSWORD,
    )

    assert result.exit_code == 0, result.stderr
    assert f"Created the superuser {EMAIL}" in result.stdout
    assert_superuser(await stored_user(commands_app.state.engine, EMAIL))
    await logged_in_profile(api, EMAIL, PASSWORD)


async def test_invalid_email_is_refused_and_nothing_is_written(
    commands_database_url: str, commands_app: FastAPI
) -> None:
    result = await run_command(
        commands_database_url, "--email", "admin@", "--password", PASSWORD
    )

    assert result.exit_code == 1
    assert "Error: invalid email address 'admin@'" in result.stderr
    assert result.stdout == ""
    assert await stored_users(commands_app.state.engine) == []


async def test_weak_password_is_refused_with_the_policys_reason(
    commands_database_url: str, commands_app: FastAPI
) -> None:
    result = await run_command(
        commands_database_url, "--email", EMAIL, "--password", "short"
    )

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: password refused: Password must be at least 8 characters long "
        "(it has 5).\n"
    )
    assert await stored_users(commands_app.state.engine) == []


async def test_invalid_setting_is_reported_without_a_traceback(
    commands_database_url: str, commands_app: FastAPI
) -> None:
    result = await run_command(
        commands_database_url, FIRST_SUPERUSER_EMAIL="not-an-email"
    )

    assert result.exit_code == 2
    assert "Error: invalid configuration (1 problem" in result.stderr
    assert "\n  FIRST_SUPERUSER_EMAIL: value is not a valid email address" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert await stored_users(commands_app.state.engine) == []


# --- in a terminal: prompts, with the password hidden ----------------------

# Makes the pseudo-terminal the child's controlling terminal, as a login shell
# would, so that getpass reads from it and switches its echo off.
_TAKE_TERMINAL = (
    "import fcntl, os, sys, termios;"
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0);"
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


def converse_in_terminal(
    env: dict[str, str], answers: list[tuple[str, str]]
) -> tuple[int, str]:
    """Run the command on a pseudo-terminal, answering each prompt when it shows."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", _TAKE_TERMINAL, *COMMAND],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=PROJECT_ROOT,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    transcript = ""
    answered_up_to = 0
    deadline = time.monotonic() + CHILD_DEADLINE_SECONDS
    try:
        for prompt, answer in answers:
            while prompt not in transcript[answered_up_to:]:
                chunk = _read(master, deadline)
                if chunk is None:
                    raise AssertionError(f"no prompt {prompt!r}:\n{transcript}")
                transcript += chunk
            answered_up_to = transcript.index(prompt, answered_up_to) + len(prompt)
            # A Ctrl-C that lands between the prompt and the read is lost (Python
            # handles the signal at its next bytecode, which a blocked read never
            # reaches): type only once the command is waiting, as a person does.
            _wait_until_reading(process.pid, deadline)
            # Ctrl-C and Ctrl-D are keys, not lines.
            keys = answer if answer in (CTRL_C, CTRL_D) else f"{answer}\n"
            os.write(master, keys.encode())
        while (chunk := _read(master, deadline)) is not None:
            transcript += chunk
        exit_code = process.wait(timeout=CHILD_DEADLINE_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return exit_code, transcript.replace("\r\n", "\n")


# The number of the read system call, as /proc/PID/syscall shows it.
_READ_SYSCALL = {"x86_64": "0", "aarch64": "63"}[os.uname().machine]


def _wait_until_reading(pid: int, deadline: float) -> None:
    """Return once `pid` is blocked reading (its terminal: nothing else is open)."""
    syscall = Path(f"/proc/{pid}/syscall")
    while syscall.read_text().split(" ", 1)[0] != _READ_SYSCALL:
        if time.monotonic() > deadline:
            raise AssertionError("the command never waited for input")
        time.sleep(0.01)


def _read(master: int, deadline: float) -> str | None:
    """The next output, or None once the child has closed the terminal."""
    ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
    if not ready:
        raise AssertionError("the command neither printed nor exited")
    try:
        data = os.read(master, 4096)
    except OSError:  # EIO: every process holding the terminal has exited
        return None
    return data.decode(errors="replace") if data else None


async def test_in_a_terminal_it_asks_and_hides_the_password(
    commands_database_url: str, commands_app: FastAPI, api: httpx.AsyncClient
) -> None:
    answers = [
        ("Email: ", EMAIL),
        ("Password: ", PASSWORD),
        ("Password (again): ", PASSWORD),
    ]

    exit_code, transcript = await asyncio.to_thread(
        converse_in_terminal, command_env(commands_database_url), answers
    )

    assert exit_code == 0, transcript
    assert f"Created the superuser {EMAIL}" in transcript
    assert EMAIL in transcript.split("Password: ")[0]  # typed email is echoed
    assert PASSWORD not in transcript
    assert_superuser(await stored_user(commands_app.state.engine, EMAIL))
    await logged_in_profile(api, EMAIL, PASSWORD)


async def test_in_a_terminal_it_asks_again_until_the_answers_are_valid(
    commands_database_url: str, commands_app: FastAPI, api: httpx.AsyncClient
) -> None:
    answers = [
        ("Email: ", "admin@"),
        ("Email: ", EMAIL),
        ("Password: ", "short"),
        ("Password (again): ", "short"),
        ("Password: ", "admin-secret-99"),
        ("Password (again): ", "admin-secret-99"),
        ("Password: ", PASSWORD),
        ("Password (again): ", PASSWORD + "x"),
        ("Password: ", PASSWORD),
        ("Password (again): ", PASSWORD),
    ]

    exit_code, transcript = await asyncio.to_thread(
        converse_in_terminal, command_env(commands_database_url), answers
    )

    assert exit_code == 0, transcript
    assert "Error: invalid email address 'admin@': " in transcript
    assert (
        "Error: Password must be at least 8 characters long (it has 5). Try again."
        in transcript
    )
    assert (
        "Error: Password must not contain 'admin' (the part of your email before "
        "the @). Try again." in transcript
    )
    assert "Error: the two passwords differ. Try again." in transcript
    assert f"Created the superuser {EMAIL}" in transcript
    assert "Traceback" not in transcript
    await logged_in_profile(api, EMAIL, PASSWORD)


@pytest.mark.parametrize(
    "answers",
    [
        [("Email: ", EMAIL), ("Password: ", CTRL_C)],
        [("Email: ", EMAIL), ("Password: ", PASSWORD), ("Password (again): ", CTRL_D)],
        [("Email: ", CTRL_C)],
        [("Email: ", CTRL_D)],
    ],
    ids=["ctrl-c-password", "ctrl-d-confirmation", "ctrl-c-email", "ctrl-d-email"],
)
async def test_in_a_terminal_ctrl_c_or_ctrl_d_stops_with_nothing_written(
    commands_database_url: str,
    commands_app: FastAPI,
    answers: list[tuple[str, str]],
) -> None:
    exit_code, transcript = await asyncio.to_thread(
        converse_in_terminal, command_env(commands_database_url), answers
    )

    assert exit_code == 130, transcript
    last_lines = transcript.strip().splitlines()
    assert last_lines[-1] == "Error: cancelled; nothing was written."
    assert "Traceback" not in transcript
    assert await stored_users(commands_app.state.engine) == []


# --- in-process -------------------------------------------------------------


async def test_existing_user_is_promoted_and_keeps_their_password(
    commands_settings: Settings,
    commands_app: FastAPI,
    api: httpx.AsyncClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    registered = await api.post(
        "/api/v1/auth/register",
        json={"email": "Member@Example.com", "password": PASSWORD},
    )
    assert registered.status_code == 201, registered.text

    exit_code = await create_superuser(
        commands_settings,
        email="MEMBER@example.com",
        password="ignored-Pass-123",
        ask_password=must_not_ask,
    )

    output = capsys.readouterr()
    assert exit_code == 0, output.err
    assert "Promoted the existing user Member@example.com to superuser" in output.out
    assert "password is unchanged" in output.out
    assert_superuser(await stored_user(commands_app.state.engine, "member@example.com"))
    profile = await logged_in_profile(api, "member@example.com", PASSWORD)
    assert profile["id"] == registered.json()["id"]


async def test_an_inactive_superuser_is_reactivated(
    commands_settings: Settings,
    commands_app: FastAPI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        await create_superuser(commands_settings, email=EMAIL, password=PASSWORD) == 0
    )
    async with commands_app.state.engine.begin() as connection:
        await connection.execute(update(User).values(is_active=False))
    capsys.readouterr()

    exit_code = await create_superuser(commands_settings, email=EMAIL)

    assert exit_code == 0
    assert f"Promoted the existing user {EMAIL}" in capsys.readouterr().out
    assert_superuser(await stored_user(commands_app.state.engine, EMAIL))


async def test_settings_supply_the_email_and_password(
    commands_settings: Settings,
    commands_app: FastAPI,
    api: httpx.AsyncClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configured = commands_settings.model_copy(
        update={
            "FIRST_SUPERUSER_EMAIL": EMAIL,
            "FIRST_SUPERUSER_PASSWORD": SecretStr(PASSWORD),
        }
    )

    exit_code = await create_superuser(configured, if_configured=True)

    assert exit_code == 0, capsys.readouterr().err
    assert_superuser(await stored_user(commands_app.state.engine, EMAIL))
    await logged_in_profile(api, EMAIL, PASSWORD)


async def test_if_configured_without_an_email_does_nothing_silently(
    commands_settings: Settings,
    commands_app: FastAPI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = await create_superuser(commands_settings, if_configured=True)

    assert exit_code == 0
    assert capsys.readouterr() == ("", "")
    assert await stored_users(commands_app.state.engine) == []


async def test_no_email_and_no_terminal_is_refused_input(
    commands_settings: Settings,
    commands_app: FastAPI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = await create_superuser(commands_settings, password=PASSWORD)

    assert exit_code == 1
    assert "Error: no email: pass --email, set FIRST_SUPERUSER_EMAIL" in (
        capsys.readouterr().err
    )
    assert await stored_users(commands_app.state.engine) == []


async def test_new_account_without_a_password_is_refused_input(
    commands_settings: Settings,
    commands_app: FastAPI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = await create_superuser(commands_settings, email=EMAIL)

    assert exit_code == 1
    assert f"Error: no password for {EMAIL}: pass --password" in (
        capsys.readouterr().err
    )
    assert await stored_users(commands_app.state.engine) == []


async def test_password_the_database_cannot_store_is_refused(
    commands_settings: Settings,
    commands_app: FastAPI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exit_code = await create_superuser(
        commands_settings, email=EMAIL, password="nul\x00-in-the-middle"
    )

    assert exit_code == 1
    assert "Error: password refused: must not contain NUL characters" in (
        capsys.readouterr().err
    )
    assert await stored_users(commands_app.state.engine) == []


async def test_unmigrated_database_is_reported_with_the_fix(
    commands_settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The same code path on both databases; an empty SQLite file is the cheapest
    # database without tables.
    unmigrated = commands_settings.model_copy(
        update={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"}
    )

    exit_code = await create_superuser(unmigrated, email=EMAIL, password=PASSWORD)

    error = capsys.readouterr().err
    assert exit_code == 2
    assert error.startswith(f"Error: cannot use the SQLite file {tmp_path}")
    assert "it is not migrated (no such table: users)" in error
    assert "uv run python -m commands.migrate" in error
    assert len(error.splitlines()) == 1


@pytest.mark.parametrize(
    ("new_password", "exit_code", "message", "working_password"),
    [
        (
            "new-Horse-battery-8",
            0,
            f"{EMAIL} is already a superuser; set its new password and ended "
            "every session of the account.",
            "new-Horse-battery-8",
        ),
        (
            "x",
            1,
            "Error: password refused: Password must be at least 8 characters "
            "long (it has 1).",
            PASSWORD,
        ),
    ],
    ids=["accepted", "weak-one-refused"],
)
async def test_update_password_sets_the_password_of_an_existing_account(
    commands_settings: Settings,
    commands_database_url: str,
    api: httpx.AsyncClient,
    new_password: str,
    exit_code: int,
    message: str,
    working_password: str,
) -> None:
    assert (
        await create_superuser(commands_settings, email=EMAIL, password=PASSWORD) == 0
    )

    result = await run_command(
        commands_database_url,
        "--email",
        EMAIL,
        "--password",
        new_password,
        "--update-password",
    )

    assert result.exit_code == exit_code, result.output
    assert (result.stdout + result.stderr).strip() == message
    await logged_in_profile(api, EMAIL, working_password)
