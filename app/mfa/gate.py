"""Signing in with a second factor: what every way in calls.

    result = await begin_sign_in(session, user, context, method="password")

Once a login path has identified the user (the password was right, the OAuth
provider vouched for them), it calls `begin_sign_in`. Without MFA that is the
session (`app.sessions.service.start_session`, a `SignedIn`); with MFA it is a
challenge (`MfaChallengeStarted`): a token for an HttpOnly cookie, stored
hashed in the database so any instance can finish the sign-in.
`app.mfa.transport.sign_in_response` turns either into the HTTP answer.

`POST /auth/mfa/verify` finishes it: `open_challenge`, then `complete_sign_in`,
which counts the attempt, checks the code and starts the session with the
first factor's `method`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.mfa import service, store
from app.mfa.errors import MfaChallengeExpired, MfaChallengeMissing, MfaCodeInvalid
from app.mfa.service import record_own_event
from app.models import MfaChallenge, User
from app.models.audit_event import AuditEventKind
from app.sessions.service import SignedIn, SignInContext, start_session

METHODS: tuple[str, ...] = ("totp", "recovery_code")


@dataclass(frozen=True, slots=True)
class MfaChallengeStarted:
    """The first factor was right; the second is due (the cookie's token)."""

    user: User
    token: str
    expires_at: datetime
    methods: tuple[str, ...] = METHODS


SignInResult = SignedIn | MfaChallengeStarted


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    challenge: MfaChallenge
    user: User


def mfa_context(context: SignInContext) -> service.MfaContext:
    return service.MfaContext(
        settings=context.settings, emails=context.emails, client=context.client
    )


async def begin_sign_in(
    session: AsyncSession, user: User, context: SignInContext, *, method: str
) -> SignInResult:
    """Sign `user` in, or start their second-factor challenge when MFA is on.

    `method` names the first factor ("password", a provider) for the session's
    audit trail; a challenge keeps it until the session starts.
    """
    if not await service.is_enabled(session, user.id):
        return await start_session(session, user, context, method=method)
    lifetime = timedelta(seconds=context.settings.MFA_CHALLENGE_EXPIRE_SECONDS)
    token, expires_at = await store.start_challenge(session, user.id, method, lifetime)
    return MfaChallengeStarted(user=user, token=token, expires_at=expires_at)


async def open_challenge(session: AsyncSession, token: str | None) -> PendingSignIn:
    """The live challenge of the cookie's token, and its (active) user."""
    if not token:
        raise MfaChallengeMissing()
    challenge = await store.find_challenge(session, token)
    if challenge is None:
        raise MfaChallengeExpired()
    user = await session.get(User, challenge.user_id)
    if user is None or not user.is_active:
        raise MfaChallengeExpired()
    return PendingSignIn(challenge=challenge, user=user)


async def complete_sign_in(
    session: AsyncSession, pending: PendingSignIn, code: str, context: SignInContext
) -> SignedIn:
    """Check the second factor; the session, or MfaCodeInvalid (the attempt is
    counted and kept) / MfaChallengeExpired (no attempts left)."""
    challenge, user = pending.challenge, pending.user
    max_attempts = context.settings.MFA_CHALLENGE_MAX_ATTEMPTS
    if not await store.take_attempt(session, challenge.id, max_attempts):
        raise MfaChallengeExpired()
    ctx = mfa_context(context)
    try:
        factor = await service.verify_factor(session, user, code, ctx)
    except MfaCodeInvalid:
        record_own_event(
            session, AuditEventKind.MFA_VERIFY_FAILED, user, context.client
        )
        raise
    # Two right codes at once: one challenge, one session.
    if not await store.finish_challenge(session, challenge.id):
        raise MfaChallengeExpired()
    record_own_event(
        session,
        AuditEventKind.MFA_VERIFY_SUCCEEDED,
        user,
        context.client,
        factor=factor,
    )
    return await start_session(session, user, context, method=challenge.method)
