"""Social login: starting a flow, finishing it, and whose account an identity is.

The rules (see the README, "Social login"):

- A known identity (provider, subject) signs its user in, if active.
- A new identity whose email belongs to no account creates one, verified only
  if the provider verified the email, with no usable password.
- A new identity whose email matches an account is linked only if the provider
  verified the email and the account is verified too; otherwise
  OAUTH_ACCOUNT_EXISTS. An unverified local account is never taken over.
- Connecting (`intent=connect`) links the identity to the signed-in user, who
  must have signed in within the last 10 minutes.

No provider is called while this request holds a database transaction: the
flow's record is taken in a short transaction of its own (it is single-use
whatever happens next), then the provider is called, then the account work
runs in the request's transaction.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from fastapi_users.exceptions import UserAlreadyExists
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from app.audit.recorder import record_user_event
from app.auth.account_emails import AccountEmails
from app.auth.client import ClientInfo
from app.core.config import API_PREFIX, Settings
from app.db.listing import PageParams, SortSpec, fetch_page
from app.db.session import release_connection, session_scope
from app.mfa.gate import SignInResult, begin_sign_in
from app.models import OAuthAccount, RefreshToken, User
from app.models.audit_event import AuditEventKind
from app.models.user import normalize_email
from app.oauth import state as flows
from app.oauth.errors import (
    LastLoginMethod,
    OAuthAccessDenied,
    OAuthAccountExists,
    OAuthAccountNotFound,
    OAuthEmailMissing,
    OAuthEmailNotVerified,
    OAuthIdentityInUse,
    OAuthInvalidRequest,
    OAuthProviderError,
    OAuthReauthenticationRequired,
    OAuthStateInvalid,
    OAuthUserInactive,
)
from app.oauth.identity import Identity, checked
from app.oauth.providers import Provider
from app.services.user_manager import build_user_manager
from app.sessions.service import SignInContext
from app.sessions.store import hash_token, utc_now

# fastapi-users types `User.id` as a plain UUID for type checkers; it is a column.
_USER_ID = cast(InstrumentedAttribute[uuid.UUID], User.id)
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


async def _account_of(session: AsyncSession, identity: Identity) -> OAuthAccount | None:
    account: OAuthAccount | None = await session.scalar(
        select(OAuthAccount).where(
            OAuthAccount.provider == identity.provider,
            OAuthAccount.subject == identity.subject,
        )
    )
    return account


def _emails(context: SignInContext) -> AccountEmails:
    return AccountEmails(context.settings, context.emails)


def _used(account: OAuthAccount, identity: Identity) -> None:
    account.last_used_at = utc_now()
    if identity.email:
        account.email = identity.email


async def resolve_login(
    session: AsyncSession, identity: Identity, context: SignInContext
) -> User:
    """The user this identity signs in as, linking or creating as the rules say."""
    account = await _account_of(session, identity)
    if account is not None:
        user = await session.get(User, account.user_id)
        if user is None or not user.is_active:
            raise OAuthUserInactive()
        _used(account, identity)
        return user
    if identity.email is None:
        if identity.has_unverified_email:
            raise OAuthEmailNotVerified()
        raise OAuthEmailMissing()
    existing: User | None = await session.scalar(
        select(User).where(User.email_normalized == normalize_email(identity.email))
    )
    if existing is not None:
        if not existing.is_active:
            raise OAuthUserInactive()
        if not (identity.email_verified and existing.is_verified):
            raise OAuthAccountExists()
        await _link(session, existing, identity, context.client, _emails(context))
        return existing
    return await _create_user(session, identity, context)


async def _link(
    session: AsyncSession,
    user: User,
    identity: Identity,
    client: ClientInfo | None,
    notify: AccountEmails | None,
) -> None:
    """Link the identity to `user`; `notify` tells an existing account's owner
    (a new account's owner is the one signing in)."""
    account = OAuthAccount(
        user_id=user.id,
        provider=identity.provider,
        subject=identity.subject,
        email=identity.email,
    )
    try:
        async with session.begin_nested():
            session.add(account)
    except IntegrityError as exc:
        # A concurrent first sign-in with the same identity linked it already.
        raise OAuthIdentityInUse() from exc
    if notify is not None:
        notify.oauth_connected(session, user, identity.provider_name)
    record_user_event(
        session,
        AuditEventKind.OAUTH_LINKED,
        user,
        client,
        actor_id=user.id,
        details={"provider": identity.provider},
    )


async def _create_user(
    session: AsyncSession, identity: Identity, context: SignInContext
) -> User:
    """A new account for this identity, with a random password nobody knows
    (`has_usable_password` false): forgot-password sets a real one."""
    assert identity.email is not None
    manager = build_user_manager(session, context.settings, context.emails)
    # Only read so far: no transaction (no SQLite write lock) waits on Argon2.
    await release_connection(session)
    unusable = await manager.password_helper_async.hash_async(flows.new_secret())
    try:
        user = await manager.user_db.create(
            {
                "email": identity.email,
                "hashed_password": unusable,
                "has_usable_password": False,
                "is_verified": identity.email_verified,
                "full_name": identity.name,
            }
        )
    except UserAlreadyExists as exc:
        # Registered meanwhile (a concurrent request): the linking rules apply.
        raise OAuthAccountExists() from exc
    record_user_event(
        session,
        AuditEventKind.USER_REGISTERED_OAUTH,
        user,
        context.client,
        actor_id=user.id,
        details={"provider": identity.provider},
    )
    await _link(session, user, identity, context.client, None)
    # As after registration: an unverified address gets a verification email.
    await manager.on_after_register(user)
    return user


async def connect_identity(
    session: AsyncSession,
    user_id: uuid.UUID,
    identity: Identity,
    context: SignInContext,
) -> None:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise OAuthUserInactive()
    account = await _account_of(session, identity)
    if account is not None:
        if account.user_id != user.id:
            raise OAuthIdentityInUse()
        _used(account, identity)
        return
    await _link(session, user, identity, context.client, _emails(context))


# --- the user's identities --------------------------------------------------------


async def list_accounts(
    session: AsyncSession, user: User, page: PageParams
) -> tuple[list[OAuthAccount], int]:
    """The user's identities, oldest first, a page of them."""
    return await fetch_page(
        session,
        select(OAuthAccount).where(OAuthAccount.user_id == user.id),
        page=page,
        sort=SortSpec(field="created_at", descending=False),
        sortable={"created_at": OAuthAccount.created_at},
        tiebreaker=OAuthAccount.id,
    )


async def disconnect(
    session: AsyncSession, user: User, account_id: uuid.UUID, client: ClientInfo
) -> None:
    """Remove one identity, unless it is the user's last way to sign in."""
    # The user's row locked (PostgreSQL): two removals at once cannot each see
    # the other identity and leave none.
    await session.execute(select(_USER_ID).where(_USER_ID == user.id).with_for_update())
    account: OAuthAccount | None = await session.scalar(
        select(OAuthAccount).where(
            OAuthAccount.id == account_id, OAuthAccount.user_id == user.id
        )
    )
    if account is None:
        raise OAuthAccountNotFound()
    others = await session.scalar(
        select(func.count())
        .select_from(OAuthAccount)
        .where(OAuthAccount.user_id == user.id, OAuthAccount.id != account_id)
    )
    if not user.has_usable_password and not others:
        raise LastLoginMethod()
    await session.delete(account)
    record_user_event(
        session,
        AuditEventKind.OAUTH_UNLINKED,
        user,
        client,
        actor_id=user.id,
        details={"provider": account.provider},
    )
