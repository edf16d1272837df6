"""Whose account an identity is: the linking rules, and the user's identities.

The rules (see the README, "Social login"):

- A known identity (provider, subject) signs its user in, if active.
- A new identity whose email belongs to no account creates one, verified only
  if the provider verified the email, with no usable password.
- A new identity whose email matches an account is linked only if the provider
  verified the email and the account is verified too; otherwise
  OAUTH_ACCOUNT_EXISTS. An unverified local account is never taken over.
- Connecting (`intent=connect`) links the identity to the signed-in user.
- An identity is disconnected unless it is the user's last way to sign in.
"""

import uuid
from typing import cast

from fastapi_users.exceptions import UserAlreadyExists
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.audit.recorder import record_user_event
from app.auth.account_emails import AccountEmails
from app.auth.client import ClientInfo
from app.db.listing import Fetched, PageParams, SortSpec, fetch_page
from app.db.session import release_connection
from app.models import OAuthAccount, User
from app.models.audit_event import AuditEventKind
from app.models.user import normalize_email
from app.oauth import state as flows
from app.oauth.errors import (
    LastLoginMethod,
    OAuthAccountExists,
    OAuthAccountNotFound,
    OAuthEmailMissing,
    OAuthEmailNotVerified,
    OAuthIdentityInUse,
    OAuthUserInactive,
)
from app.oauth.identity import Identity
from app.services.user_manager import build_user_manager
from app.sessions.service import SignInContext
from app.sessions.store import utc_now

# fastapi-users types `User.id` as a plain UUID for type checkers; it is a column.
_USER_ID = cast(InstrumentedAttribute[uuid.UUID], User.id)


async def _account_of(session: AsyncSession, identity: Identity) -> OAuthAccount | None:
    account: OAuthAccount | None = await session.scalar(
        select(OAuthAccount).where(
            OAuthAccount.provider == identity.provider,
            OAuthAccount.subject == identity.subject,
        )
    )
    return account


def _record(
    session: AsyncSession,
    kind: AuditEventKind,
    user: User,
    client: ClientInfo | None,
    provider: str,
) -> None:
    """An identity event, by the user themselves, naming the provider."""
    record_user_event(
        session, kind, user, client, actor_id=user.id, details={"provider": provider}
    )


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
    _record(session, AuditEventKind.OAUTH_LINKED, user, client, identity.provider)


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
    _record(
        session,
        AuditEventKind.USER_REGISTERED_OAUTH,
        user,
        context.client,
        identity.provider,
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
) -> Fetched[OAuthAccount]:
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
    _record(session, AuditEventKind.OAUTH_UNLINKED, user, client, account.provider)
