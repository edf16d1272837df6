"""Housekeeping: delete what has outlived its use, in small transactions.

Expired refresh tokens (see `app.sessions.store.purge_expired`), expired
second-factor challenges (`app.mfa.store.purge_expired_challenges`), social-login
flows never finished (expired `oauth_states`), sent or failed
emails older than OUTBOX_RETENTION_DAYS and audit events older than
AUDIT_RETENTION_DAYS (0 keeps them forever). Run by `commands.worker` every
PURGE_INTERVAL_SECONDS, by any number of workers at once: on PostgreSQL each
batch first takes a transaction-level advisory lock without waiting, and a
worker that does not get it leaves the purge to the one that did (two deletes
of overlapping batches could otherwise deadlock). Transaction-level, so it
holds through PgBouncer in transaction mode.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.db.session import session_scope
from app.email.outbox import purge_delivered
from app.mfa.store import purge_expired_challenges
from app.models import AuditEvent
from app.models.oauth_state import OAuthState
from app.sessions.store import purge_expired, utc_now

DEFAULT_BATCH_SIZE = 10_000
# Any fixed bigint, the same in every gatehouse process (not the migrations').
PURGE_LOCK_KEY = int.from_bytes(b"gh-purge")


@dataclass(frozen=True, slots=True)
class PurgeReport:
    refresh_tokens: int = 0
    challenges: int = 0
    oauth_states: int = 0
    emails: int = 0
    audit_events: int = 0
    # False: another worker held the purge lock, so this one did nothing.
    ran: bool = True


async def purge_audit_events(
    session: AsyncSession, before: datetime, limit: int
) -> int:
    """Delete at most `limit` audit events recorded before `before`."""
    batch = select(AuditEvent.id).where(AuditEvent.created_at < before).limit(limit)
    result = await session.execute(
        delete(AuditEvent)
        .where(AuditEvent.id.in_(batch))
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount


async def purge_expired_oauth_states(
    session: AsyncSession, now: datetime, limit: int
) -> int:
    """Delete at most `limit` social-login flows that expired unfinished."""
    batch = (
        select(OAuthState.state_hash).where(OAuthState.expires_at <= now).limit(limit)
    )
    result = await session.execute(
        delete(OAuthState)
        .where(OAuthState.state_hash.in_(batch))
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount


async def _take_purge_lock(session: AsyncSession) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return True  # SQLite serialises writers
    locked = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PURGE_LOCK_KEY}
    )
    return bool(locked)


async def purge_old_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> PurgeReport:
    """One housekeeping pass over every table, `batch_size` rows per transaction."""
    now = utc_now()
    counts = dict.fromkeys(
        ("refresh_tokens", "challenges", "oauth_states", "emails", "audit_events"), 0
    )
    kinds: list[tuple[str, Callable[[AsyncSession], Awaitable[int]]]] = [
        ("refresh_tokens", lambda s: purge_expired(s, now, limit=batch_size)),
        (
            "challenges",
            lambda s: purge_expired_challenges(s, now, limit=batch_size),
        ),
        ("oauth_states", lambda s: purge_expired_oauth_states(s, now, batch_size)),
    ]
    if settings.OUTBOX_RETENTION_DAYS:
        before = now - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
        kinds.append(("emails", lambda s: purge_delivered(s, before, batch_size)))
    if settings.AUDIT_RETENTION_DAYS:
        cutoff = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
        kinds.append(
            ("audit_events", lambda s: purge_audit_events(s, cutoff, batch_size))
        )
    for name, purge in kinds:
        while True:
            async with session_scope(sessionmaker) as session:
                if not await _take_purge_lock(session):
                    return _report(counts, ran=False)
                deleted = await purge(session)
            counts[name] += deleted
            if deleted < batch_size:
                break
    return _report(counts, ran=True)


def _report(counts: dict[str, int], *, ran: bool) -> PurgeReport:
    return PurgeReport(
        refresh_tokens=counts["refresh_tokens"],
        challenges=counts["challenges"],
        oauth_states=counts["oauth_states"],
        emails=counts["emails"],
        audit_events=counts["audit_events"],
        ran=ran,
    )
