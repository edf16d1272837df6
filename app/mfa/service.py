"""Enrolling, using and removing a second factor.

Nothing here commits: the request's transaction (or the command's) does.
Emails go through the outbox in that transaction, audit events with it.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_user_event
from app.auth.client import ClientInfo
from app.core.config import Settings
from app.email import EmailQueue, build_email, moment
from app.mfa import recovery, store, totp
from app.mfa.crypto import MfaKeys
from app.mfa.errors import (
    MfaAlreadyEnabled,
    MfaCodeInvalid,
    MfaCodeRequired,
    MfaNotEnabled,
    MfaSetupNotStarted,
)
from app.models import User
from app.models.audit_event import AuditEventKind

Factor = Literal["totp", "recovery_code"]


@dataclass(frozen=True, slots=True)
class MfaContext:
    """What the second factor's work needs besides the database."""

    settings: Settings
    emails: EmailQueue
    client: ClientInfo | None

    @property
    def keys(self) -> MfaKeys:
        return MfaKeys.from_settings(self.settings)


@dataclass(frozen=True, slots=True)
class TotpSetup:
    secret: str
    otpauth_uri: str
    qr_svg: str


@dataclass(frozen=True, slots=True)
class MfaStatus:
    enabled: bool
    recovery_codes_left: int


def record_own_event(
    session: AsyncSession,
    kind: AuditEventKind,
    user: User,
    client: ClientInfo | None,
    **details: object,
) -> None:
    """An audit event of something the user did to their own second factor."""
    record_user_event(
        session, kind, user, client, actor_id=user.id, details=details or None
    )


async def status(session: AsyncSession, user_id: uuid.UUID) -> MfaStatus:
    enabled, left = await store.mfa_status(session, user_id)
    return MfaStatus(enabled=enabled, recovery_codes_left=left if enabled else 0)


async def is_enabled(session: AsyncSession, user_id: uuid.UUID) -> bool:
    row = await store.get_totp(session, user_id)
    return row is not None and row.confirmed_at is not None


def _context(user_id: uuid.UUID) -> bytes:
    # The associated data: a ciphertext moved to another account fails.
    return user_id.bytes


# --- enrolment -----------------------------------------------------------------


async def start_setup(session: AsyncSession, user: User, ctx: MfaContext) -> TotpSetup:
    """A new secret for the authenticator app; nothing is active until confirmed."""
    if await is_enabled(session, user.id):
        raise MfaAlreadyEnabled()
    secret = totp.new_secret()
    encrypted, key_id = ctx.keys.encrypt(secret, context=_context(user.id))
    await store.replace_pending_totp(session, user.id, encrypted, key_id)
    uri = totp.provisioning_uri(
        secret, account=user.email, issuer=ctx.settings.PROJECT_NAME
    )
    return TotpSetup(secret=secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))


async def confirm_setup(
    session: AsyncSession, user: User, code: str, ctx: MfaContext
) -> list[str]:
    """Activate the authenticator with a code from it; the recovery codes, once."""
    row = await store.get_totp(session, user.id)
    if row is None:
        raise MfaSetupNotStarted()
    if row.confirmed_at is not None:
        raise MfaAlreadyEnabled()
    secret = ctx.keys.decrypt(
        row.secret_encrypted, row.key_id, context=_context(user.id)
    )
    step = totp.matching_step(secret, code.strip())
    if step is None:
        raise MfaCodeInvalid()
    if not await store.confirm_totp(session, user.id, step):
        raise MfaAlreadyEnabled()
    codes = await _new_recovery_codes(session, user, ctx)
    record_own_event(session, AuditEventKind.MFA_ENABLED, user, ctx.client)
    _notify(session, ctx, "mfa_enabled", user)
    return codes


async def regenerate_recovery_codes(
    session: AsyncSession, user: User, code: str, ctx: MfaContext
) -> list[str]:
    """A fresh set of codes (the old set stops working), for a current code."""
    if not await is_enabled(session, user.id):
        raise MfaNotEnabled()
    await verify_factor(session, user, code, ctx)
    codes = await _new_recovery_codes(session, user, ctx)
    record_own_event(
        session, AuditEventKind.MFA_RECOVERY_CODES_REGENERATED, user, ctx.client
    )
    return codes


async def disable(
    session: AsyncSession, user: User, code: str, ctx: MfaContext
) -> None:
    """MFA off, with a current code or a recovery code (the route checks the
    password first)."""
    if not await is_enabled(session, user.id):
        raise MfaNotEnabled()
    await verify_factor(session, user, code, ctx, notify=False)
    await store.delete_factors(session, user.id)
    record_own_event(session, AuditEventKind.MFA_DISABLED, user, ctx.client)
    _notify(session, ctx, "mfa_disabled", user, by_admin=False)


async def reset(
    session: AsyncSession, user: User, ctx: MfaContext, *, actor_id: uuid.UUID | None
) -> None:
    """An administrator's (or an operator's) reset: MFA off without a code.

    `actor_id` None: the `reset_mfa` command."""
    if not await store.delete_factors(session, user.id):
        raise MfaNotEnabled()
    details = None if actor_id is not None else {"by": "command"}
    record_user_event(
        session,
        AuditEventKind.MFA_RESET,
        user,
        ctx.client,
        actor_id=actor_id,
        details=details,
    )
    _notify(session, ctx, "mfa_disabled", user, by_admin=True)


async def _new_recovery_codes(
    session: AsyncSession, user: User, ctx: MfaContext
) -> list[str]:
    codes = recovery.new_codes()
    keys = ctx.keys
    hashes = [keys.code_hash(recovery.normalize(code)) for code in codes]
    await store.replace_recovery_codes(session, user.id, hashes)
    return codes


# --- using a factor ------------------------------------------------------------


async def verify_factor(
    session: AsyncSession,
    user: User,
    code: str,
    ctx: MfaContext,
    *,
    notify: bool = True,
) -> Factor:
    """Accept a current TOTP code or an unused recovery code, once; else
    MfaCodeInvalid. Which one it was is returned."""
    code = code.strip()
    if totp.looks_like_totp(code):
        await _use_totp(session, user, code, ctx)
        return "totp"
    if recovery.looks_like_recovery_code(code):
        hashes = ctx.keys.code_hashes(recovery.normalize(code))
        if not await store.use_recovery_code(session, user.id, hashes):
            raise MfaCodeInvalid()
        left = await store.unused_recovery_codes(session, user.id)
        record_own_event(
            session, AuditEventKind.MFA_RECOVERY_CODE_USED, user, ctx.client, left=left
        )
        if notify:
            _notify(session, ctx, "mfa_recovery_code_used", user, left=left)
        return "recovery_code"
    raise MfaCodeInvalid()


async def _use_totp(
    session: AsyncSession, user: User, code: str, ctx: MfaContext
) -> None:
    row = await store.get_totp(session, user.id)
    if row is None or row.confirmed_at is None:
        raise MfaCodeInvalid()
    keys = ctx.keys
    secret = keys.decrypt(row.secret_encrypted, row.key_id, context=_context(user.id))
    step = totp.matching_step(secret, code)
    # The conditional UPDATE decides: a replayed step loses, here or elsewhere.
    if step is None or not await store.use_step(session, user.id, step):
        raise MfaCodeInvalid()
    if row.key_id != keys.current.id:
        encrypted, key_id = keys.encrypt(secret, context=_context(user.id))
        await store.reencrypt_totp(session, user.id, encrypted, key_id)


async def require_second_factor(
    session: AsyncSession, user: User, code: str | None, ctx: MfaContext
) -> None:
    """For sensitive changes: when MFA is on, a current code must come along."""
    if not await is_enabled(session, user.id):
        return
    if not code:
        raise MfaCodeRequired()
    await verify_factor(session, user, code, ctx)


def _notify(
    session: AsyncSession, ctx: MfaContext, kind: str, user: User, **values: object
) -> None:
    message = build_email(
        ctx.settings,
        kind,
        to=user.email,
        name=user.full_name,
        when=moment(datetime.now(UTC)),
        **values,
    )
    ctx.emails.queue(session, message)
