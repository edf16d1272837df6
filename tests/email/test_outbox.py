"""The email outbox: queued in the event's transaction, delivered by workers.

Delivery goes to the real aiosmtpd server (`mailbox`), to a closed port (SMTP
down) or to a TCP server that accepts connections and never answers (silent).
Tests whose apps commit for real delete every row afterwards.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.session import session_scope
from app.email import EmailMessage, EmailQueue, OutboxWorker
from app.models import EmailOutbox
from tests.fixtures.app_factory import (
    AppFactory,
    closed_port,
    join_test_transaction,
    settings_of,
)
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD

REGISTER = "/api/v1/auth/register"
FORGOT = "/api/v1/auth/forgot-password"
# Guards against a hung test only; nothing asserts on how long anything takes.
HANG_GUARD_SECONDS = 30
WORKERS = 4
CROWD = 120


def message(recipient: str, kind: str = "verify_email") -> EmailMessage:
    return EmailMessage(
        kind=kind,
        recipient=recipient,
        subject=f"Hello {recipient}",
        html=f"<p>Hello {recipient}</p>",
        text=f"Hello {recipient}",
    )


async def queue_committed(application: FastAPI, *recipients: str) -> None:
    async with session_scope(application.state.sessionmaker) as session:
        for recipient in recipients:
            EmailQueue().queue(session, message(recipient))


async def rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[EmailOutbox]:
    async with sessionmaker() as session:
        return list(
            await session.scalars(select(EmailOutbox).order_by(EmailOutbox.recipient))
        )


def worker_of(application: FastAPI) -> OutboxWorker:
    worker: OutboxWorker = application.state.outbox_worker
    return worker


def plain_client(application: FastAPI) -> httpx.AsyncClient:
    """A client that, unlike the fixtures' clients, never delivers emails itself."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://testserver"
    )


def logged(caplog: pytest.LogCaptureFixture, level: int, recipient: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == level and recipient in record.getMessage()
    ]


@dataclass
class SilentServer:
    """Accepts TCP connections and never sends a byte: a hung SMTP server."""

    port: int = 0
    connections: list[asyncio.StreamWriter] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def accept(
        self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections.append(writer)
        self.connected.set()


@pytest.fixture
async def silent_smtp() -> AsyncIterator[SilentServer]:
    silent = SilentServer()
    server = await asyncio.start_server(silent.accept, "127.0.0.1", 0)
    silent.port = server.sockets[0].getsockname()[1]
    yield silent
    for writer in silent.connections:
        writer.close()
    server.close()
    await server.wait_closed()


# --- queued in the event's transaction -------------------------------------


async def test_an_email_is_stored_only_when_its_transaction_commits(
    db_session: AsyncSession, test_sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    queue = EmailQueue()
    queue.queue(db_session, message("rolled.back@example.com"))
    await db_session.rollback()
    queue.queue(db_session, message("committed@example.com"))
    await db_session.commit()

    [row] = await rows(test_sessionmaker)
    assert (row.recipient, row.status, row.attempts) == (
        "committed@example.com",
        "pending",
        0,
    )


@pytest.mark.usefixtures("delete_committed_rows")
async def test_a_queued_email_survives_a_restart(
    app_factory: AppFactory, mailbox: Mailbox
) -> None:
    # The first process registers with SMTP down and no worker, then stops.
    first = app_factory(MAIL_PORT=closed_port(), OUTBOX_WORKER_ENABLED=False)
    async with first.router.lifespan_context(first), plain_client(first) as http:
        response = await http.post(
            REGISTER,
            json={"email": "durable@example.com", "password": DEFAULT_PASSWORD},
        )
    assert response.status_code == 201
    [queued] = await rows(first.state.sessionmaker)
    assert (queued.status, queued.attempts) == ("pending", 0)
    assert mailbox.received == []

    # A new process, with a new worker, delivers it.
    second = app_factory()
    restarted = OutboxWorker(
        lambda: second.state.sessionmaker, second.state.mailer, settings_of(second)
    )
    assert await restarted.deliver_due() == 1

    [email] = await mailbox.wait_for("durable@example.com")
    assert "Confirm your email" in email.subject
    [sent] = await rows(second.state.sessionmaker)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, None)
    assert sent.sent_at is not None
    assert await restarted.deliver_due() == 0
    assert len(mailbox.to("durable@example.com")) == 1


@pytest.mark.usefixtures("delete_committed_rows")
async def test_the_apps_worker_delivers_after_the_commit(
    app_factory: AppFactory, mailbox: Mailbox
) -> None:
    # A long poll interval: only the wake-up after the commit can deliver in time.
    application = app_factory(OUTBOX_POLL_SECONDS=3600)
    async with application.router.lifespan_context(application):
        async with plain_client(application) as http:
            response = await http.post(
                REGISTER,
                json={"email": "woken@example.com", "password": DEFAULT_PASSWORD},
            )
        assert response.status_code == 201
        [email] = await mailbox.wait_for("woken@example.com")

    assert "Confirm your email" in email.subject


# --- SMTP down or silent -----------------------------------------------------


@pytest.mark.usefixtures("delete_committed_rows")
async def test_requests_answer_while_the_smtp_server_hangs(
    app_factory: AppFactory, silent_smtp: SilentServer
) -> None:
    application = app_factory(MAIL_PORT=silent_smtp.port, MAIL_TIMEOUT=3600)
    async with application.router.lifespan_context(application):
        async with plain_client(application) as http:
            registered = await http.post(
                REGISTER,
                json={"email": "hung@example.com", "password": DEFAULT_PASSWORD},
            )
            async with asyncio.timeout(HANG_GUARD_SECONDS):
                await silent_smtp.connected.wait()
            # The worker is stuck in the first email's delivery, yet:
            forgot = await http.post(FORGOT, json={"email": "hung@example.com"})
        assert (registered.status_code, forgot.status_code) == (201, 202)
        verify, reset = sorted(
            await rows(application.state.sessionmaker), key=lambda row: row.kind
        )[::-1]
        assert (verify.kind, verify.attempts, verify.last_error) == (
            "verify_email",
            1,
            None,
        )
        assert (reset.kind, reset.attempts) == ("reset_password", 0)
    # Leaving the lifespan cancelled the worker in the middle of its send.
    assert len(silent_smtp.connections) == 1


async def test_each_attempt_on_a_silent_server_ends_after_mail_timeout(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    db_session: AsyncSession,
    silent_smtp: SilentServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    application = join_test_transaction(
        app_factory(MAIL_PORT=silent_smtp.port, MAIL_TIMEOUT=1), test_sessionmaker
    )
    EmailQueue().queue(db_session, message("silent@example.com"))
    await db_session.commit()
    caplog.set_level(logging.INFO)

    assert await worker_of(application).deliver_due() == 1

    assert silent_smtp.connected.is_set()
    [row] = await rows(test_sessionmaker)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None
    [warning] = logged(caplog, logging.WARNING, "silent@example.com")
    assert "will retry" in warning


# --- backoff and the final failure ---------------------------------------------


async def make_due(session: AsyncSession) -> None:
    """Pretend the retry delay has passed."""
    await session.execute(
        update(EmailOutbox).values(
            next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)
        )
    )
    await session.commit()


async def test_retries_back_off_exponentially_then_fail_for_good(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    db_session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    application = join_test_transaction(
        app_factory(
            MAIL_PORT=closed_port(), MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=60
        ),
        test_sessionmaker,
    )
    worker = worker_of(application)
    EmailQueue().queue(db_session, message("doomed@example.com", "reset_password"))
    await db_session.commit()
    caplog.set_level(logging.INFO)

    for attempt, delay in ((1, 60), (2, 120)):
        before = datetime.now(UTC)
        assert await worker.deliver_due() == 1
        after = datetime.now(UTC)
        [row] = await rows(test_sessionmaker)
        assert (row.status, row.attempts) == ("pending", attempt)
        retry_in = timedelta(seconds=delay)
        assert before + retry_in <= row.next_attempt_at <= after + retry_in
        # Not due yet: nothing is attempted.
        assert await worker.deliver_due() == 0
        await make_due(db_session)
    assert await worker.deliver_due() == 1

    [row] = await rows(test_sessionmaker)
    assert (row.status, row.attempts) == ("failed", 3)
    assert len(logged(caplog, logging.WARNING, "doomed@example.com")) == 2
    [failure] = logged(caplog, logging.ERROR, "doomed@example.com")
    assert "reset_password" in failure
    await make_due(db_session)
    assert await worker.deliver_due() == 0
    [row] = await rows(test_sessionmaker)
    assert row.attempts == 3


# --- several workers -------------------------------------------------------------


@pytest.mark.usefixtures("delete_committed_rows")
async def test_concurrent_workers_send_each_email_exactly_once(
    app_factory: AppFactory, mailbox: Mailbox
) -> None:
    # One app each: separate engines, so the workers claim on separate connections.
    apps = [app_factory() for _ in range(WORKERS)]
    workers = [worker_of(application) for application in apps]
    # Connect first, so the claims below start together and contend for rows.
    assert await asyncio.gather(*(w.deliver_due() for w in workers)) == [0] * WORKERS
    recipients = [f"crowd{n:03}@example.com" for n in range(CROWD)]
    await queue_committed(apps[0], *recipients)

    attempted = await asyncio.gather(*(w.deliver_due() for w in workers))

    assert sum(attempted) == len(recipients)
    delivered = sorted(r for email in mailbox.received for r in email.recipients)
    assert delivered == recipients
    stored = await rows(apps[0].state.sessionmaker)
    assert {(row.status, row.attempts) for row in stored} == {("sent", 1)}
