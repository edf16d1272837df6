"""The email outbox: durable queueing in the request's transaction, and delivery.

`EmailQueue.queue` adds a row to `email_outbox` in the caller's transaction, so
an email exists exactly when the change that caused it was committed, and it
survives a restart. `OutboxWorker` delivers due rows with bounded retries and
exponential backoff; several workers (processes) can run at once because a
claim locks rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite serialises
writers) and leases them by moving `next_attempt_at` forward.

Exactly once, as far as a mail system can: a row is sent by the one worker
holding its lease, and marked sent right after the SMTP server accepted it. A
worker killed between those two moments leaves that one message to be sent
again once the lease expires; the rest of its batch was never handed to SMTP
and goes out once, by another worker.
"""

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.db.session import AfterCommit, run_after_commit, session_scope
from app.email.messages import EmailMessage
from app.email.sender import Mailer
from app.models.email_outbox import FAILED, PENDING, SENT, EmailOutbox

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500

SessionmakerGetter = Callable[[], async_sessionmaker[AsyncSession]]


class EmailQueue:
    """What the request path sees of the outbox: queue now, deliver after commit."""

    def __init__(self, wake: AfterCommit | None = None) -> None:
        # Called after the commit, to have a worker in this process deliver soon.
        self._wake = wake

    def queue(self, session: AsyncSession, message: EmailMessage) -> None:
        """Store `message` in the session's transaction; it goes out once committed."""
        session.add(EmailOutbox(**asdict(message)))
        if self._wake is not None:
            run_after_commit(session, self._wake)


def _now() -> datetime:
    return datetime.now(UTC)


class OutboxWorker:
    def __init__(
        self, sessionmaker: SessionmakerGetter, mailer: Mailer, settings: Settings
    ) -> None:
        # A callable, so tests can swap the app's sessionmaker underneath.
        self._sessionmaker = sessionmaker
        self._mailer = mailer
        self._settings = settings
        # Made by run_forever, in the event loop that waits on it.
        self._wake_event: asyncio.Event | None = None
        self._stopping = False

    async def wake(self) -> None:
        """Deliver soon: called after a commit that queued an email."""
        if self._wake_event is not None:
            self._wake_event.set()

    def stop(self) -> None:
        """Make run_forever return once the emails it has claimed are sent."""
        self._stopping = True
        if self._wake_event is not None:
            self._wake_event.set()

    async def run_forever(self) -> None:
        """Deliver due emails when woken or every OUTBOX_POLL_SECONDS, until stopped."""
        self._wake_event = wake_event = asyncio.Event()
        try:
            while not self._stopping:
                # Cleared before the pass: a wake during it means another pass.
                wake_event.clear()
                try:
                    await self.deliver_due()
                except Exception:
                    logger.exception("email outbox pass failed; retrying")
                with suppress(TimeoutError):
                    async with asyncio.timeout(self._settings.OUTBOX_POLL_SECONDS):
                        await wake_event.wait()
        finally:
            self._wake_event = None

    async def deliver_due(self) -> int:
        """Deliver every due email; returns how many attempts were made."""
        attempted = 0
        while not self._stopping and (batch := await self._claim()):
            for row in batch:
                await self._deliver(row)
            attempted += len(batch)
        return attempted

    async def _claim(self) -> list[EmailOutbox]:
        async with session_scope(self._sessionmaker()) as session:
            rows = list(
                await session.scalars(
                    select(EmailOutbox)
                    .where(EmailOutbox.status == PENDING)
                    .where(EmailOutbox.next_attempt_at <= _now())
                    .order_by(EmailOutbox.next_attempt_at)
                    .limit(self._settings.OUTBOX_BATCH_SIZE)
                    .with_for_update(skip_locked=True)
                )
            )
            # The rows are sent one after the other, each within MAIL_TIMEOUT:
            # the lease must outlast the whole batch or another worker resends.
            # OUTBOX_LEASE_MARGIN_SECONDS is added so a lease outlives slow sends.
            lease = timedelta(
                seconds=self._settings.MAIL_TIMEOUT * len(rows)
                + self._settings.OUTBOX_LEASE_MARGIN_SECONDS
            )
            for row in rows:
                row.attempts += 1
                row.next_attempt_at = _now() + lease
        return rows

    async def _deliver(self, row: EmailOutbox) -> None:
        message = EmailMessage.of(row)
        try:
            async with asyncio.timeout(self._settings.MAIL_TIMEOUT):
                await self._mailer.send(message)
        except Exception as exc:
            await self._record_failure(row, exc)
            return
        await self._update(row, status=SENT, sent_at=_now(), last_error=None)

    async def _record_failure(self, row: EmailOutbox, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        if row.attempts >= self._settings.MAIL_MAX_ATTEMPTS:
            logger.error(
                "email delivery failed for good kind=%s to=%s attempts=%d error=%s",
                row.kind,
                row.recipient,
                row.attempts,
                error,
            )
            await self._update(row, status=FAILED, last_error=error)
            return
        delay = self._settings.MAIL_RETRY_BASE_SECONDS * 2 ** (row.attempts - 1)
        logger.warning(
            "email delivery failed, will retry kind=%s to=%s attempt=%d in=%ss "
            "error=%s",
            row.kind,
            row.recipient,
            row.attempts,
            delay,
            error,
        )
        await self._update(
            row, next_attempt_at=_now() + timedelta(seconds=delay), last_error=error
        )

    async def _update(self, row: EmailOutbox, **values: object) -> None:
        async with session_scope(self._sessionmaker()) as session:
            await session.execute(
                update(EmailOutbox).where(EmailOutbox.id == row.id).values(**values)
            )


async def purge_delivered(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete at most `limit` sent or failed emails last attempted before `before`.

    `next_attempt_at` is the time of a finished row's last claim, so the purge
    walks the (status, next_attempt_at) index instead of scanning the table.
    """
    batch = (
        select(EmailOutbox.id)
        .where(EmailOutbox.status.in_((SENT, FAILED)))
        .where(EmailOutbox.next_attempt_at < before)
        .limit(limit)
    )
    result = await session.execute(
        delete(EmailOutbox)
        .where(EmailOutbox.id.in_(batch))
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount
