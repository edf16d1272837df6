"""Starting, refreshing, ending and listing sessions: what every way in calls.

`start_session` is the one place a user becomes signed in on a device: it
creates the session (a refresh-token family), its first refresh token and an
access token carrying the session's id, and records the audit event. Password
login calls it today; social login and the second-factor step call it too.

Nothing here commits: the request's transaction does.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_user_event
from app.auth.access_tokens import AccessSession, SessionJWTStrategy
from app.auth.client import ClientInfo
from app.core.config import Settings
from app.core.errors import Unauthorized
from app.db.listing import Fetched, PageParams, SortSpec, fetch_page
from app.email import EmailQueue, build_email, moment
from app.models import RefreshToken, User
from app.models.audit_event import AuditEventKind
from app.sessions import store
from app.sessions.devices import is_new_device
from app.sessions.errors import (
    CsrfHeaderMissing,
    RefreshTokenInvalid,
    RefreshTokenMissing,
)
from app.sessions.transport import clearing_headers

# The API's names for the columns of a session's live token.
SORTABLE = {
    "created_at": RefreshToken.authenticated_at,
    "last_used_at": RefreshToken.created_at,
}
DEFAULT_SORT = "-last_used_at"


@dataclass(frozen=True, slots=True)
class SignInContext:
    """What signing in on this request needs: the client, the settings, the
    access-token writer and the outbox (see `app.api.deps.SignInDep`)."""

    client: ClientInfo
    settings: Settings
    tokens: SessionJWTStrategy
    emails: EmailQueue


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What the response needs once a session is started or refreshed."""

    user: User
    session_id: uuid.UUID
    access_token: str
    # For the cookie; None when a refresh within the grace window answered.
    refresh_token: str | None


@dataclass(frozen=True, slots=True)
class PresentedCookie:
    """The refresh cookie a request carries, and whether it may be used: only
    with the CSRF header (see app/api/deps.py)."""

    token: str | None
    has_csrf_header: bool

    @property
    def usable(self) -> str | None:
        return self.token if self.token and self.has_csrf_header else None


async def start_session(
    session: AsyncSession, user: User, context: SignInContext, *, method: str
) -> SignedIn:
    """Sign `user` in on this device; `method` names the way in ("password",
    a provider) for the audit trail and the new-device email."""
    settings, client = context.settings, context.client
    if settings.NEW_SIGN_IN_EMAIL_ENABLED:
        now = store.utc_now()
        lookback = timedelta(days=settings.NEW_SIGN_IN_LOOKBACK_DAYS)
        if await is_new_device(session, user, client, now, lookback):
            _queue_new_sign_in(session, user, context, method, now)
    family_id, refresh_token = await store.start_family(session, user, client, settings)
    record_user_event(
        session,
        AuditEventKind.LOGIN_SUCCEEDED,
        user,
        client,
        actor_id=user.id,
        details={"method": method},
    )
    return SignedIn(
        user=user,
        session_id=family_id,
        access_token=context.tokens.write_session_token(user, family_id),
        refresh_token=refresh_token,
    )


def _queue_new_sign_in(
    session: AsyncSession,
    user: User,
    context: SignInContext,
    method: str,
    now: datetime,
) -> None:
    message = build_email(
        context.settings,
        "new_sign_in",
        to=user.email,
        name=user.full_name,
        when=moment(now),
        device=context.client.user_agent or "unknown",
        ip=context.client.ip or "unknown",
        method=method,
    )
    context.emails.queue(session, message)


async def refresh_session(
    session: AsyncSession, cookie: PresentedCookie, context: SignInContext
) -> SignedIn:
    """Rotate the cookie's token and issue an access token for its session."""
    if not cookie.token:
        raise RefreshTokenMissing()
    try:
        rotation = await store.rotate(
            session, cookie.token, context.client, context.settings
        )
    except RefreshTokenInvalid as refusal:
        headers = clearing_headers(context.settings)
        raise RefreshTokenInvalid(headers=headers) from refusal
    return SignedIn(
        user=rotation.user,
        session_id=rotation.family_id,
        access_token=context.tokens.write_session_token(
            rotation.user, rotation.family_id
        ),
        refresh_token=rotation.token,
    )


async def end_current_session(
    session: AsyncSession,
    *,
    access: AccessSession | None,
    cookie: PresentedCookie,
    client: ClientInfo,
    everywhere: bool = False,
) -> None:
    """Logout: end the session named by the access token or by the cookie, or
    with `everywhere` every session of its user.

    The cookie is enough (with the CSRF header), so an SPA that lost its access
    token can still log out; with neither, nobody is logged out.
    """
    token = cookie.usable
    if access is None and token is None:
        raise CsrfHeaderMissing() if cookie.token else Unauthorized()
    user = None if access is None else access.user
    if access is not None:
        await store.revoke_family(session, access.session_id)
    if token is not None:
        row = await store.family_of_token(session, token)
        if row is not None:
            await store.revoke_family(session, row.family_id)
            user = user or await session.get(User, row.user_id)
    if user is None:
        return
    if everywhere:
        await store.revoke_user_sessions(session, user.id)
    details = {"everywhere": True} if everywhere else None
    record_user_event(
        session, AuditEventKind.LOGOUT, user, client, actor_id=user.id, details=details
    )


async def end_session(session: AsyncSession, user: User, session_id: uuid.UUID) -> None:
    """End one of the user's sessions; SessionNotFound if it is not live."""
    await store.revoke_user_session(session, user.id, session_id)


async def end_other_sessions(session: AsyncSession, access: AccessSession) -> int:
    """Sign out everywhere else: every session but the current one."""
    return await store.revoke_user_sessions(
        session, access.user.id, keep=access.session_id
    )


async def list_sessions(
    session: AsyncSession, user: User, page: PageParams, sort: SortSpec
) -> Fetched[RefreshToken]:
    """The live token of each of the user's sessions, a page of them."""
    return await fetch_page(
        session,
        store.live_sessions(user, store.utc_now()),
        page=page,
        sort=sort,
        sortable=SORTABLE,
        tiebreaker=RefreshToken.id,
    )
