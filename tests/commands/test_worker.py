"""`python -m commands.worker`: the outbox delivered, old rows purged.

The worker commits for real, so these tests write committed rows to the test
database and delete every row afterwards.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.db.session import create_sessionmaker, session_scope, wait_for_background_tasks
from app.models import AuditEvent
from app.models.email_outbox import FAILED, PENDING, SENT, EmailOutbox
from app.models.oauth_state import OAuthState
from app.services.retention import PURGE_LOCK_KEY, purge_old_rows
from commands.worker import run_worker
from tests.commands.cli import cli_env, run_cli
from tests.fixtures.database import delete_all_rows
from tests.fixtures.smtp import Mailbox

DAY = timedelta(days=1)


@pytest.fixture
async def engine(app: FastAPI) -> AsyncIterator[AsyncEngine]:
    engine: AsyncEngine = app.state.engine
    yield engine
    await wait_for_background_tasks()
    await delete_all_rows(engine)


def email(label: str, status: str, last_attempt: datetime) -> EmailOutbox:
    return EmailOutbox(
        kind="test",
        recipient=f"{label}@example.com",
        subject=label,
        html=f"<p>{label}</p>",
        text=label,
        status=status,
        next_attempt_at=last_attempt,
    )


async def seed(engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    async with session_scope(create_sessionmaker(engine)) as session:
        session.add_all(
            [
                email("old-sent", SENT, now - 40 * DAY),
                email("old-failed", FAILED, now - 40 * DAY),
                email("recent-sent", SENT, now - 2 * DAY),
                email("due", PENDING, now - 40 * DAY),
                AuditEvent(kind="login.succeeded", created_at=now - 400 * DAY),
                AuditEvent(kind="logout", created_at=now - 10 * DAY),
            ]
        )


async def remaining(engine: AsyncEngine) -> tuple[dict[str, str], list[str]]:
    async with engine.connect() as connection:
        emails = dict(
            (await connection.execute(select(EmailOutbox.subject, EmailOutbox.status)))
            .tuples()
            .all()
        )
        events = list(await connection.scalars(select(AuditEvent.kind)))
    return emails, events


async def test_one_pass_delivers_due_emails_and_purges_past_retention(
    engine: AsyncEngine, settings: Settings, mailbox: Mailbox
) -> None:
    await seed(engine)

    await run_worker(settings, once=True)

    emails, events = await remaining(engine)
    # Sent and failed emails past OUTBOX_RETENTION_DAYS (30) are gone; the due
    # one was delivered and is kept, as is the recent one.
    assert emails == {"recent-sent": SENT, "due": SENT}
    assert [m.recipients for m in mailbox.received] == [["due@example.com"]]
    # Audit events past AUDIT_RETENTION_DAYS (365) are gone.
    assert events == ["logout"]


def oauth_flow(label: str, expires_at: datetime) -> OAuthState:
    return OAuthState(
        state_hash=label,
        browser_hash=label,
        provider="github",
        code_verifier="v",
        nonce="n",
        next_path="/",
        intent="login",
        expires_at=expires_at,
    )


async def test_unfinished_social_login_flows_are_purged_once_expired(
    engine: AsyncEngine, settings: Settings
) -> None:
    now = datetime.now(UTC)
    async with session_scope(create_sessionmaker(engine)) as session:
        session.add_all(
            [oauth_flow("expired", now - DAY), oauth_flow("live", now + 5 * DAY)]
        )

    report = await purge_old_rows(create_sessionmaker(engine), settings)

    assert report.oauth_states == 1
    async with engine.connect() as connection:
        left = list(await connection.scalars(select(OAuthState.state_hash)))
    assert left == ["live"]


async def test_zero_retention_keeps_everything(
    engine: AsyncEngine, settings: Settings, mailbox: Mailbox
) -> None:
    await seed(engine)
    keep = settings.model_copy(
        update={"OUTBOX_RETENTION_DAYS": 0, "AUDIT_RETENTION_DAYS": 0}
    )

    report = await purge_old_rows(create_sessionmaker(engine), keep)

    assert (report.emails, report.audit_events, report.ran) == (0, 0, True)
    emails, events = await remaining(engine)
    assert len(emails) == 4
    assert sorted(events) == ["login.succeeded", "logout"]


async def test_a_purge_already_running_elsewhere_is_left_to_it(
    engine: AsyncEngine, settings: Settings
) -> None:
    await seed(engine)
    if engine.dialect.name != "postgresql":
        # SQLite serialises writers itself: no lock to contend for, it purges.
        report = await purge_old_rows(create_sessionmaker(engine), settings)
        assert report.ran is True
        return
    async with engine.connect() as other_worker, other_worker.begin():
        await other_worker.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": PURGE_LOCK_KEY}
        )
        report = await purge_old_rows(create_sessionmaker(engine), settings)

    assert report.ran is False
    emails, events = await remaining(engine)
    assert len(emails) == 4
    assert len(events) == 2


async def test_the_worker_command_runs_once_and_says_so(settings: Settings) -> None:
    result = await run_cli(
        "-m", "commands.worker", "--once", env=cli_env(settings.DATABASE_URL)
    )

    assert result.exit_code == 0, result.output
    assert "worker pass: 0 email(s) attempted" in result.output


async def test_send_emails_refuses_once_and_forever_together() -> None:
    result = await run_cli(
        "-m",
        "commands.send_emails",
        "--once",
        "--forever",
        env=cli_env(f"sqlite+aiosqlite:///{uuid.uuid4().hex}-unused.db"),
    )

    assert result.exit_code == 2
    assert "--once and --forever exclude each other" in result.stderr
