"""FastAPI dependencies and their `Annotated` aliases: routes declare these.

Every dependency that reads the request lives here: the request's database
session, the user manager, fastapi-users' current-user checks, the session
behind an access token, the client's address, the refresh cookie.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Cookie, Depends, Header, Request
from fastapi_users import FastAPIUsers
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.access_tokens import AccessSession, SessionJWTStrategy
from app.auth.backend import auth_backend, bearer_transport, get_jwt_strategy
from app.auth.client import ClientInfo, client_info
from app.auth.manager import UserManager
from app.authz.access import Access, Actor
from app.authz.errors import PermissionDenied
from app.authz.permissions import (
    PERMISSIONS,
    OperationsPermission,
    RolesPermission,
    UserPermission,
)
from app.core.config import Settings
from app.core.errors import AppError, Forbidden, Unauthorized
from app.db.session import session_scope
from app.mfa.service import MfaContext
from app.mfa.transport import MFA_COOKIE_NAME
from app.models import User
from app.oauth.providers import Providers
from app.services.user_manager import build_user_manager
from app.sessions.errors import CsrfHeaderMissing
from app.sessions.service import PresentedCookie, SignInContext
from app.sessions.transport import REFRESH_COOKIE_NAME

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-Requested-With"
CSRF_HEADER_VALUE = "XMLHttpRequest"

# What the aliases below can answer, for `responses=raises(...)`.
AUTHENTICATED: tuple[type[AppError], ...] = (Unauthorized,)
SUPERUSER: tuple[type[AppError], ...] = (Unauthorized, Forbidden)
PERMISSION_REQUIRED: tuple[type[AppError], ...] = (Unauthorized, PermissionDenied)


async def get_async_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session and its single transaction.

    Requests that change nothing get a read-only session (see app/db/session.py);
    others commit before the response is sent (the alias declares
    `scope="function"`), so a failed commit is an error response rather than a
    silently lost write.
    """
    state = request.app.state
    if request.method in SAFE_METHODS:
        # Nothing to commit: closing just hands the connection back.
        async with state.read_sessionmaker() as session:
            yield session
        return
    async with session_scope(state.sessionmaker) as session:
        yield session


# Declare the session through this alias only: FastAPI caches a dependency per
# (callable, scope), so one alias means one session and transaction per request.
SessionDep = Annotated[AsyncSession, Depends(get_async_session, scope="function")]


async def get_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session that commits, for the few GET routes that write: social login's
    authorize and callback are browser navigations, so they cannot be POSTs."""
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


# For those routes only, instead of SessionDep (never both in one request).
WriteSessionDep = Annotated[AsyncSession, Depends(get_write_session, scope="function")]


async def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """For work that must commit apart from the request's transaction."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessionmaker


SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]


async def require_database(request: Request) -> None:
    """The database answers (one `SELECT 1` on the read pool), else 503.

    For routes that answer before doing their database work (the email
    requests): an outage is still reported as one.
    """
    async with request.app.state.read_sessionmaker() as session:
        await session.execute(text("SELECT 1"))


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]


async def get_client_info(request: Request) -> ClientInfo:
    return client_info(request)


ClientInfoDep = Annotated[ClientInfo, Depends(get_client_info)]


async def get_oauth_providers(request: Request) -> Providers:
    providers: Providers = request.app.state.oauth_providers
    return providers


OAuthProvidersDep = Annotated[Providers, Depends(get_oauth_providers)]


# --- fastapi-users ---------------------------------------------------------


async def get_user_manager(request: Request, session: SessionDep) -> UserManager:
    """fastapi-users' manager over the request's session (one dependency, not two:
    every authenticated request resolves it)."""
    state = request.app.state
    return build_user_manager(session, state.settings, state.email_queue)


UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]
fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [auth_backend])

# The strategy, bound to the request, also puts the user's id on the request for
# the access log and the audit trail.
current_active_user = fastapi_users.current_user(active=True)
current_superuser = fastapi_users.current_user(active=True, superuser=True)
CurrentUser = Annotated[User, Depends(current_active_user)]
CurrentSuperuser = Annotated[User, Depends(current_superuser)]
TokenStrategy = Annotated[SessionJWTStrategy, Depends(get_jwt_strategy)]


# --- the session behind an access token, and the refresh cookie --------------


async def optional_access_session(
    token: Annotated[str | None, Depends(bearer_transport.scheme)],
    user_manager: UserManagerDep,
    strategy: TokenStrategy,
) -> AccessSession | None:
    """The bearer token's user and session, or None if absent or not valid."""
    access = await strategy.read_session(token, user_manager)
    if access is None or not access.user.is_active:
        return None
    return access


async def current_access_session(
    access: Annotated[AccessSession | None, Depends(optional_access_session)],
) -> AccessSession:
    """Like `current_active_user`, but also names the token's session."""
    if access is None:
        raise Unauthorized()
    return access


OptionalAccessSession = Annotated[
    AccessSession | None, Depends(optional_access_session)
]
CurrentAccessSession = Annotated[AccessSession, Depends(current_access_session)]

CsrfHeader = Annotated[
    str | None,
    Header(
        alias=CSRF_HEADER,
        description=(
            f"Required with the refresh cookie (send `{CSRF_HEADER_VALUE}`): "
            "cross-site pages cannot set it without passing CORS."
        ),
    ),
]
RefreshCookie = Annotated[
    str | None,
    Cookie(
        alias=REFRESH_COOKIE_NAME,
        description="Set by login and refresh; HttpOnly, the SPA never reads it.",
    ),
]


async def presented_cookie(
    token: RefreshCookie = None, x_requested_with: CsrfHeader = None
) -> PresentedCookie:
    """The refresh cookie and whether the CSRF rule lets it be used.

    A browser attaches cookies to cross-site requests, but a cross-site page can
    send a custom header only after a CORS preflight, which only CORS_ORIGINS
    pass. So a request that uses the cookie must also carry `X-Requested-With`.
    SameSite=Lax keeps the cookie off most cross-site requests already; the
    header also covers same-site neighbours and old browsers.
    """
    has_header = bool(x_requested_with and x_requested_with.strip())
    return PresentedCookie(token=token, has_csrf_header=has_header)


PresentedCookieDep = Annotated[PresentedCookie, Depends(presented_cookie)]


async def require_csrf_header(cookie: PresentedCookieDep) -> None:
    """For routes that act on the refresh cookie alone."""
    if not cookie.has_csrf_header:
        raise CsrfHeaderMissing()


async def sign_in_context(
    request: Request, client: ClientInfoDep, strategy: TokenStrategy
) -> SignInContext:
    state = request.app.state
    return SignInContext(
        client=client,
        settings=state.settings,
        tokens=strategy,
        emails=state.email_queue,
    )


SignInDep = Annotated[SignInContext, Depends(sign_in_context)]


# --- permissions -------------------------------------------------------------


async def get_access(session: SessionDep, user: CurrentUser) -> Access:
    """The current user's permissions, loaded on first use (one query per
    request at most; none for superusers, none if nothing asks)."""
    return Access(session, user)


AccessDep = Annotated[Access, Depends(get_access)]


async def get_actor(access: AccessDep) -> Actor:
    """The current user as the actor of a change (the no-escalation rules)."""
    return await access.actor()


ActorDep = Annotated[Actor, Depends(get_actor)]


class RequirePermission:
    """A dependency: the current user, if they hold `permission`.

    401 without a valid access token, 403 `PERMISSION_DENIED` without the
    permission. Declare it through an alias:

        CanReadStats = Annotated[User, Depends(RequirePermission("stats:read"))]
    """

    def __init__(self, permission: str) -> None:
        if permission not in PERMISSIONS:
            raise ValueError(f"{permission!r} is not a defined permission")
        self.permission = permission

    async def __call__(self, access: AccessDep) -> User:
        await access.require(self.permission)
        return access.user


CanReadUsers = Annotated[User, Depends(RequirePermission(UserPermission.READ))]
CanManageUsers = Annotated[User, Depends(RequirePermission(UserPermission.MANAGE))]
CanReadRoles = Annotated[User, Depends(RequirePermission(RolesPermission.READ))]
CanManageRoles = Annotated[User, Depends(RequirePermission(RolesPermission.MANAGE))]
CanAssignRoles = Annotated[User, Depends(RequirePermission(RolesPermission.ASSIGN))]
CanReadAudit = Annotated[
    User, Depends(RequirePermission(OperationsPermission.AUDIT_READ))
]
CanReadStats = Annotated[
    User, Depends(RequirePermission(OperationsPermission.STATS_READ))
]
CanReadMetrics = Annotated[
    User, Depends(RequirePermission(OperationsPermission.METRICS_READ))
]


# --- the second factor -------------------------------------------------------


async def mfa_context(request: Request, client: ClientInfoDep) -> MfaContext:
    state = request.app.state
    return MfaContext(settings=state.settings, emails=state.email_queue, client=client)


MfaContextDep = Annotated[MfaContext, Depends(mfa_context)]
MfaChallengeCookie = Annotated[
    str | None,
    Cookie(
        alias=MFA_COOKIE_NAME,
        description="Set by a login that needs a second factor; HttpOnly.",
    ),
]
