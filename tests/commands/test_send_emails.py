"""`python -m commands.send_emails`: the outbox delivered from its own process.

Runs against the same throw-away database as the create_superuser tests (its
fixtures are reused), because the command commits for real.
"""

import asyncio
import signal
import sys

from fastapi import FastAPI
from sqlalchemy import select

from app.core.config import PROJECT_ROOT
from app.db.session import session_scope
from app.email import EmailMessage, EmailQueue
from app.models import EmailOutbox
from tests.commands import test_create_superuser as superuser_tests
from tests.commands.test_create_superuser import CHILD_DEADLINE_SECONDS, command_env
from tests.fixtures.smtp import Mailbox

# The create_superuser module's fixtures: the migrated throw-away database, an
# app on it, and the autouse fixture that empties it after each test.
commands_database_url = superuser_tests.commands_database_url
commands_settings = superuser_tests.commands_settings
commands_app = superuser_tests.commands_app
empty_database = superuser_tests.empty_database

MODULE = ("-m", "commands.send_emails")


def smtp_env(database_url: str, smtp_server: tuple[Mailbox, int]) -> dict[str, str]:
    _, port = smtp_server
    env = command_env(
        database_url,
        MAIL_PORT=str(port),
        MAIL_STARTTLS="false",
        OUTBOX_POLL_SECONDS="0.1",
    )
    env["MAIL_SERVER"] = "127.0.0.1"  # command_env sets it empty
    return env


async def queue(application: FastAPI, *recipients: str) -> None:
    async with session_scope(application.state.sessionmaker) as session:
        for recipient in recipients:
            EmailQueue().queue(
                session,
                EmailMessage(
                    kind="verify_email",
                    recipient=recipient,
                    subject="Queued earlier",
                    html="<p>Hello</p>",
                    text="Hello",
                ),
            )


async def finished(process: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    """The child's output once it exits; killed if it hangs, so none outlives us."""
    try:
        async with asyncio.timeout(CHILD_DEADLINE_SECONDS):
            return await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def statuses(application: FastAPI) -> list[str]:
    async with application.state.sessionmaker() as session:
        return list(await session.scalars(select(EmailOutbox.status)))


async def test_once_delivers_what_is_due_and_exits(
    commands_database_url: str,
    commands_app: FastAPI,
    smtp_server: tuple[Mailbox, int],
    mailbox: Mailbox,
) -> None:
    await queue(commands_app, "first@example.com", "second@example.com")

    process = await asyncio.create_subprocess_exec(
        "uv",
        "run",
        "python",
        *MODULE,
        "--once",
        cwd=PROJECT_ROOT,
        env=smtp_env(commands_database_url, smtp_server),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await finished(process)

    assert process.returncode == 0, stderr.decode()
    assert stdout.decode() == "Attempted 2 email(s).\n"
    assert len(mailbox.to("first@example.com")) == 1
    assert len(mailbox.to("second@example.com")) == 1
    assert await statuses(commands_app) == ["sent", "sent"]


async def test_without_once_it_delivers_later_emails_until_sigterm(
    commands_database_url: str,
    commands_app: FastAPI,
    smtp_server: tuple[Mailbox, int],
    mailbox: Mailbox,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *MODULE,
        cwd=PROJECT_ROOT,
        env=smtp_env(commands_database_url, smtp_server),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await queue(commands_app, "later@example.com")
        await mailbox.wait_for("later@example.com", within=CHILD_DEADLINE_SECONDS)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await finished(process)

    assert process.returncode == 0, stderr.decode()
    assert stdout.decode() == ""
    assert await statuses(commands_app) == ["sent"]
