"""The queries of the second factor. Every single-use rule is one conditional
UPDATE (or DELETE) whose row count says whether this request won, so two
instances, or two requests at the same moment, never both succeed."""

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Exists,
    ScalarSelect,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import MfaChallenge, MfaRecoveryCode, MfaTotp
from app.sessions.store import hash_token, utc_now

CHALLENGE_TOKEN_BYTES = 32


def _affected(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount


# --- the authenticator ---------------------------------------------------------


async def get_totp(session: AsyncSession, user_id: uuid.UUID) -> MfaTotp | None:
    totp: MfaTotp | None = await session.scalar(
        select(MfaTotp).where(MfaTotp.user_id == user_id)
    )
    return totp


async def replace_pending_totp(
    session: AsyncSession, user_id: uuid.UUID, secret_encrypted: str, key_id: str
) -> None:
    """A new unconfirmed authenticator, replacing an unconfirmed one."""
    await session.execute(
        delete(MfaTotp)
        .where(MfaTotp.user_id == user_id, MfaTotp.confirmed_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    session.add(
        MfaTotp(user_id=user_id, secret_encrypted=secret_encrypted, key_id=key_id)
    )
    await session.flush()


async def confirm_totp(session: AsyncSession, user_id: uuid.UUID, step: int) -> bool:
    """Activate the pending authenticator; False if it was confirmed meanwhile."""
    result = await session.execute(
        update(MfaTotp)
        .where(MfaTotp.user_id == user_id, MfaTotp.confirmed_at.is_(None))
        .values(confirmed_at=utc_now(), last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return _affected(result) == 1


async def use_step(session: AsyncSession, user_id: uuid.UUID, step: int) -> bool:
    """Record `step` as used; False if it (or a later one) already was."""
    result = await session.execute(
        update(MfaTotp)
        .where(
            MfaTotp.user_id == user_id,
            MfaTotp.confirmed_at.is_not(None),
            or_(MfaTotp.last_used_step.is_(None), MfaTotp.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return _affected(result) == 1


async def reencrypt_totp(
    session: AsyncSession, user_id: uuid.UUID, secret_encrypted: str, key_id: str
) -> None:
    await session.execute(
        update(MfaTotp)
        .where(MfaTotp.user_id == user_id)
        .values(secret_encrypted=secret_encrypted, key_id=key_id)
        .execution_options(synchronize_session=False)
    )


async def delete_factors(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """Turn MFA off: the authenticator, the codes and pending challenges go.
    False if there was no confirmed authenticator."""
    result = await session.execute(
        delete(MfaTotp)
        .where(MfaTotp.user_id == user_id)
        .returning(MfaTotp.confirmed_at)
        .execution_options(synchronize_session=False)
    )
    removed = [row[0] for row in result]
    for model in (MfaRecoveryCode, MfaChallenge):
        await session.execute(
            delete(model)
            .where(model.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
    return any(confirmed is not None for confirmed in removed)


def mfa_status_columns(
    user_id: ColumnElement[uuid.UUID],
) -> tuple[Exists, ScalarSelect[int]]:
    """Whether the user has TOTP on, and their unused recovery codes, as two
    columns a statement can select (beside others: see app.services.profile).
    Built once, around a bound parameter: building them costs more than running."""
    unused = (
        select(func.count())
        .select_from(MfaRecoveryCode)
        .where(MfaRecoveryCode.user_id == user_id, MfaRecoveryCode.used_at.is_(None))
        .scalar_subquery()
    )
    enabled = (
        select(MfaTotp.user_id)
        .where(MfaTotp.user_id == user_id, MfaTotp.confirmed_at.is_not(None))
        .exists()
    )
    return enabled, unused


_STATUS = select(*mfa_status_columns(bindparam("user_id")))


async def mfa_status(session: AsyncSession, user_id: uuid.UUID) -> tuple[bool, int]:
    """(TOTP confirmed, unused recovery codes): one statement."""
    row = (await session.execute(_STATUS, {"user_id": user_id})).one()
    return bool(row[0]), int(row[1])


# --- recovery codes --------------------------------------------------------------


async def replace_recovery_codes(
    session: AsyncSession, user_id: uuid.UUID, hashes: list[str]
) -> None:
    await session.execute(
        delete(MfaRecoveryCode)
        .where(MfaRecoveryCode.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    session.add_all(MfaRecoveryCode(user_id=user_id, code_hash=h) for h in hashes)
    await session.flush()


async def use_recovery_code(
    session: AsyncSession, user_id: uuid.UUID, hashes: list[str]
) -> bool:
    """Mark the unused code with one of these hashes used; False if none."""
    result = await session.execute(
        update(MfaRecoveryCode)
        .where(
            MfaRecoveryCode.user_id == user_id,
            MfaRecoveryCode.code_hash.in_(hashes),
            MfaRecoveryCode.used_at.is_(None),
        )
        .values(used_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    return _affected(result) >= 1


async def unused_recovery_codes(session: AsyncSession, user_id: uuid.UUID) -> int:
    count: int = (
        await session.scalar(
            select(func.count())
            .select_from(MfaRecoveryCode)
            .where(
                MfaRecoveryCode.user_id == user_id, MfaRecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )
    return count


# --- challenges ------------------------------------------------------------------


async def start_challenge(
    session: AsyncSession,
    user_id: uuid.UUID,
    method: str,
    lifetime: timedelta,
) -> tuple[str, datetime]:
    """A new challenge, replacing the user's earlier ones (one sign-in waits
    at a time; an older cookie is refused). Returns (token, expires_at)."""
    now = utc_now()
    await session.execute(
        delete(MfaChallenge)
        .where(MfaChallenge.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(CHALLENGE_TOKEN_BYTES)
    expires_at = now + lifetime
    session.add(
        MfaChallenge(
            token_hash=hash_token(token),
            user_id=user_id,
            method=method,
            attempts=0,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return token, expires_at


async def find_challenge(session: AsyncSession, token: str) -> MfaChallenge | None:
    """The live challenge with this token, or None."""
    challenge: MfaChallenge | None = await session.scalar(
        select(MfaChallenge).where(
            MfaChallenge.token_hash == hash_token(token),
            MfaChallenge.expires_at > utc_now(),
        )
    )
    return challenge


async def take_attempt(
    session: AsyncSession, challenge_id: uuid.UUID, max_attempts: int
) -> bool:
    """Count one attempt; False once the challenge has none left (or is gone)."""
    result = await session.execute(
        update(MfaChallenge)
        .where(
            MfaChallenge.id == challenge_id,
            MfaChallenge.attempts < max_attempts,
            MfaChallenge.expires_at > utc_now(),
        )
        .values(attempts=MfaChallenge.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return _affected(result) == 1


async def finish_challenge(session: AsyncSession, challenge_id: uuid.UUID) -> bool:
    """Delete the challenge; False if another request finished it first."""
    result = await session.execute(
        delete(MfaChallenge)
        .where(MfaChallenge.id == challenge_id)
        .execution_options(synchronize_session=False)
    )
    return _affected(result) == 1


async def purge_expired_challenges(
    session: AsyncSession, now: datetime, *, limit: int | None = None
) -> int:
    expired = MfaChallenge.expires_at <= now
    statement = delete(MfaChallenge)
    if limit is None:
        statement = statement.where(expired)
    else:
        batch = select(MfaChallenge.id).where(expired).limit(limit)
        statement = statement.where(MfaChallenge.id.in_(batch))
    result = await session.execute(
        statement.execution_options(synchronize_session=False)
    )
    return _affected(result)
