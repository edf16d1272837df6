"""Registration, login, refresh and logout, verification, password reset.

Login, registration, verification and reset are fastapi-users' routers; refresh and
logout are gatehouse's (sessions for SPAs, see app/auth/refresh.py).
"""

from typing import Annotated

from fastapi import (
    APIRouter,
    Cookie,
    Depends,
    HTTPException,
    Request,
    Response,
    status,
)
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_users.authentication.transport.bearer import BearerResponse

from app.api.audit import LoginFailureAudit
from app.api.deps import SessionDep, SettingsDep
from app.api.rate_limits import (
    RATE_LIMIT_RESPONSES,
    EmailRequestLimit,
    LoginLimit,
    RegistrationLimit,
)
from app.auth.backend import (
    OptionalAccessSession,
    TokenStrategy,
    auth_backend,
    fastapi_users,
)
from app.auth.csrf import (
    CSRF_RESPONSES,
    CsrfHeader,
    CsrfHeaderMissing,
    has_csrf_header,
    require_csrf_header,
)
from app.auth.refresh import (
    REFRESH_COOKIE_NAME,
    ClientInfo,
    RefreshRefused,
    RefreshTokenMissing,
    clear_refresh_cookie,
    hash_token,
    refresh_session,
    revoke_family,
    revoke_family_of_token,
    set_refresh_cookie,
)
from app.schemas.common import ErrorRead
from app.schemas.user import UserCreate, UserRead
from app.services.audit import record_logout


def _login_only(auth_router: APIRouter) -> APIRouter:
    """fastapi-users' login route, without its logout: that one needs a valid
    access token, ours (below) also works with the refresh cookie alone."""
    auth_router.routes = [
        route
        for route in auth_router.routes
        if not (isinstance(route, APIRoute) and route.path == "/logout")
    ]
    return auth_router


def _split(source: APIRouter, path: str) -> tuple[APIRouter, APIRouter]:
    """`source`'s route at `path`, and its other routes, as two routers (so a
    rate limit applies to the email-sending route only)."""
    chosen, rest = APIRouter(), APIRouter()
    for route in source.routes:
        is_chosen = isinstance(route, APIRoute) and route.path == path
        (chosen if is_chosen else rest).routes.append(route)
    return chosen, rest


request_verify_token, verify = _split(
    fastapi_users.get_verify_router(UserRead), "/request-verify-token"
)
forgot_password, reset_password = _split(
    fastapi_users.get_reset_password_router(), "/forgot-password"
)

router = APIRouter(prefix="/auth", tags=["auth"])
router.include_router(
    _login_only(fastapi_users.get_auth_router(auth_backend)),
    dependencies=[LoginLimit, LoginFailureAudit],
    responses=RATE_LIMIT_RESPONSES,
)
router.include_router(
    fastapi_users.get_register_router(UserRead, UserCreate),
    dependencies=[RegistrationLimit],
    responses=RATE_LIMIT_RESPONSES,
)
for email_sending in (request_verify_token, forgot_password):
    router.include_router(
        email_sending, dependencies=[EmailRequestLimit], responses=RATE_LIMIT_RESPONSES
    )
router.include_router(verify)
router.include_router(reset_password)


# --- sessions for SPAs: refresh cookie rotation and logout --------------------

RefreshCookie = Annotated[
    str | None,
    Cookie(
        alias=REFRESH_COOKIE_NAME,
        description="Set by login and refresh; HttpOnly, the SPA never reads it.",
    ),
]


@router.post(
    "/refresh",
    response_model=BearerResponse,
    dependencies=[Depends(require_csrf_header)],
    responses={
        status.HTTP_401_UNAUTHORIZED: {
            "model": ErrorRead,
            "description": "REFRESH_TOKEN_MISSING, or REFRESH_TOKEN_INVALID "
            "(unknown, expired, revoked or reused; the cookie is cleared).",
        },
        **CSRF_RESPONSES,
    },
)
async def refresh_access_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    strategy: TokenStrategy,
    token: RefreshCookie = None,
) -> Response:
    """Rotate the refresh cookie and return a new access token.

    Within REFRESH_REUSE_GRACE_SECONDS of a rotation, the token just rotated away
    gets an access token and no new cookie (two tabs refreshing at once).
    """
    if not token:
        raise RefreshTokenMissing()
    try:
        refreshed = await refresh_session(
            session, token, ClientInfo.of(request), settings
        )
    except RefreshRefused as refusal:
        # Answered rather than raised: the request's transaction must commit,
        # since a reused token has just had its whole family revoked.
        response: Response = JSONResponse(
            {"detail": refusal.detail}, status_code=refusal.status_code
        )
        clear_refresh_cookie(response, settings)
        return response
    access_token = strategy.write_session_token(refreshed.user, refreshed.family_id)
    response = JSONResponse(
        BearerResponse(access_token=access_token, token_type="bearer").model_dump()
    )
    if refreshed.token is not None:
        set_refresh_cookie(response, refreshed.token, settings)
    return response


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        status.HTTP_401_UNAUTHORIZED: {
            "model": ErrorRead,
            "description": "Neither a valid access token nor the refresh cookie.",
        },
        **CSRF_RESPONSES,
    },
)
async def logout(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: OptionalAccessSession,
    token: RefreshCookie = None,
    x_requested_with: CsrfHeader = None,
) -> Response:
    """End the current session and clear the refresh cookie.

    The session is named by the access token (`Authorization: Bearer`), or by
    the refresh cookie with the CSRF header, so an SPA that lost its access
    token can still log out. An invalid cookie is cleared all the same.
    """
    use_cookie = bool(token) and has_csrf_header(x_requested_with)
    if access is None and not use_cookie:
        if token:
            raise CsrfHeaderMissing()
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED)
    if access is not None:
        await revoke_family(session, access.session_id)
    if token and use_cookie:
        await revoke_family_of_token(session, token)
    await record_logout(
        session,
        request,
        user=None if access is None else access.user,
        refresh_token_hash=hash_token(token) if token and use_cookie else None,
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_refresh_cookie(response, settings)
    return response
