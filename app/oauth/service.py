"""Social login: starting a flow and finishing it.

Starting stores the flow's record (state, PKCE verifier, nonce, the browser's
secret) and returns the provider's URL; connecting (`intent=connect`) is bound
to the browser's live session, which must have signed in within the last 10
minutes. Finishing checks the state and the browser, calls the provider, and
hands the identity to `app.oauth.accounts` (whose account it is, by the
linking rules in the README, "Social login"), then signs the user in.

No provider is called while this request holds a database transaction: the
flow's record is taken in a short transaction of its own (it is single-use
whatever happens next), then the provider is called, then the account work
runs in the request's transaction.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import API_PREFIX, Settings
from app.db.session import session_scope
from app.mfa.gate import SignInResult, begin_sign_in
from app.models import RefreshToken, User
from app.oauth import state as flows
from app.oauth.accounts import connect_identity, resolve_login
from app.oauth.errors import (
    OAuthAccessDenied,
    OAuthInvalidRequest,
    OAuthProviderError,
    OAuthReauthenticationRequired,
    OAuthStateInvalid,
)
from app.oauth.identity import checked
from app.oauth.providers import Provider
from app.sessions.service import SignInContext
from app.sessions.store import hash_token, utc_now

# Connecting a provider needs a sign-in (a password typed) this recent.
REAUTHENTICATION_WINDOW = timedelta(minutes=10)


def login_method(provider: Provider) -> str:
    """How the audit trail and the new-sign-in email name this way in."""
    return f"oauth:{provider.slug}"


def redirect_uri(settings: Settings, provider: Provider) -> str:
    """The callback URL registered at the provider."""
    return f"{settings.API_URL}{API_PREFIX}/auth/oauth/{provider.slug}/callback"


def parse_intent(value: str | None) -> flows.Intent:
    try:
        return flows.Intent(value or flows.Intent.LOGIN)
    except ValueError as exc:
        raise OAuthInvalidRequest() from exc


# --- authorize ---------------------------------------------------------------------


async def begin(
    session: AsyncSession,
    provider: Provider,
    settings: Settings,
    *,
    intent: flows.Intent,
    next_path: str,
    browser_secret: str,
    refresh_token: str | None,
) -> str:
    """Store the flow's record and return the provider URL to send the browser to.

    `refresh_token` is the browser's refresh cookie: connecting is bound to the
    session it belongs to (a top-level navigation carries no access token).
    """
    # Discovery first (a network call), before this request's transaction starts.
    await provider.prepare()
    user_id = None
    if intent is flows.Intent.CONNECT:
        user_id = (await connecting_user(session, refresh_token)).id
    flow = await flows.start_flow(
        session,
        provider=provider.slug,
        browser_secret=browser_secret,
        intent=intent,
        next_path=next_path,
        user_id=user_id,
    )
    return await provider.authorization_url(
        redirect_uri=redirect_uri(settings, provider),
        state=flow.state,
        code_challenge=flow.code_challenge,
        nonce=flow.nonce,
    )


async def connecting_user(session: AsyncSession, refresh_token: str | None) -> User:
    """The user of the browser's live session, if they signed in recently enough."""
    if not refresh_token:
        raise OAuthReauthenticationRequired()
    now = utc_now()
    row: RefreshToken | None = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_token(refresh_token))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise OAuthReauthenticationRequired()
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active or user.token_version != row.token_version:
        raise OAuthReauthenticationRequired()
    if row.authenticated_at < now - REAUTHENTICATION_WINDOW:
        raise OAuthReauthenticationRequired()
    return user


# --- callback ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Completed:
    """Where the SPA goes next, and the sign-in: a session, or the second-factor
    challenge when the user has MFA (None after a connect: nobody signs in)."""

    next_path: str
    result: SignInResult | None


async def complete(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    provider: Provider,
    context: SignInContext,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
    browser_secret: str | None,
) -> Completed:
    """Check the state and the browser first, and only then call the provider."""
    if not state or not browser_secret:
        raise OAuthStateInvalid()
    async with session_scope(sessionmaker) as apart:
        flow = await flows.take_flow(
            apart, provider=provider.slug, state=state, browser_secret=browser_secret
        )
    if flow is None:
        raise OAuthStateInvalid()
    if error:
        raise OAuthAccessDenied()
    if not code:
        raise OAuthInvalidRequest()
    identity = checked(
        await provider.fetch_identity(
            code=code,
            redirect_uri=redirect_uri(context.settings, provider),
            code_verifier=flow.code_verifier,
            nonce=flow.nonce,
        )
    )
    if identity is None:
        raise OAuthProviderError()
    if flow.intent is flows.Intent.CONNECT:
        assert flow.user_id is not None, "a connect flow names its user"
        await connect_identity(session, flow.user_id, identity, context)
        return Completed(next_path=flow.next_path, result=None)
    user = await resolve_login(session, identity, context)
    result = await sign_in(session, user, context, provider)
    return Completed(next_path=flow.next_path, result=result)


async def sign_in(
    session: AsyncSession, user: User, context: SignInContext, provider: Provider
) -> SignInResult:
    """The one place social login signs a user in: through the second-factor
    gate, as password login does (a session, or the challenge when MFA is on)."""
    return await begin_sign_in(session, user, context, method=login_method(provider))
