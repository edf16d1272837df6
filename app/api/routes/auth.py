"""Login, registration, refresh and logout, verification, password reset.

Registration, verification and reset are fastapi-users' routers (their OpenAPI
errors replaced by the catalogue's); login, refresh and logout are gatehouse's:
they start, rotate and end sessions through `app.sessions.service`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users.authentication.transport.bearer import BearerResponse

from app.api.audit import LoginFailureAudit
from app.api.deps import (
    ClientInfoDep,
    OptionalAccessSession,
    PresentedCookieDep,
    SessionDep,
    SettingsDep,
    TokenStrategy,
    UserManagerDep,
    fastapi_users,
    require_csrf_header,
)
from app.api.rate_limits import EmailRequestLimit, LoginLimit, RegistrationLimit
from app.api.responses import Responses, raises
from app.auth.errors import (
    LoginBadCredentials,
    RegisterInvalidPassword,
    RegisterUserAlreadyExists,
    ResetPasswordBadToken,
    ResetPasswordInvalidPassword,
    VerifyUserAlreadyVerified,
    VerifyUserBadToken,
)
from app.core.errors import TooManyRequests, Unauthorized
from app.schemas.user import UserCreate, UserRead
from app.sessions import service as sessions
from app.sessions.errors import (
    CsrfHeaderMissing,
    RefreshTokenInvalid,
    RefreshTokenMissing,
)
from app.sessions.transport import clear_refresh_cookie, signed_in_response

router = APIRouter(prefix="/auth", tags=["auth"])


def _documented(source: APIRouter, path: str, responses: Responses) -> APIRouter:
    """fastapi-users' route at `path`, its errors documented by the catalogue.

    One router per route, so a rate limit can apply to that route alone.
    """
    route = next(r for r in source.routes if isinstance(r, APIRoute) and r.path == path)
    documented = APIRouter()
    documented.add_api_route(
        path,
        route.endpoint,
        methods=sorted(route.methods or ()),
        name=route.name,
        response_model=route.response_model,
        status_code=route.status_code,
        responses=responses,
    )
    return documented


register = fastapi_users.get_register_router(UserRead, UserCreate)
verify = fastapi_users.get_verify_router(UserRead)
reset = fastapi_users.get_reset_password_router()

router.include_router(
    _documented(
        register,
        "/register",
        raises(RegisterUserAlreadyExists, RegisterInvalidPassword, TooManyRequests),
    ),
    dependencies=[RegistrationLimit],
)
router.include_router(
    _documented(verify, "/request-verify-token", raises(TooManyRequests)),
    dependencies=[EmailRequestLimit],
)
router.include_router(
    _documented(reset, "/forgot-password", raises(TooManyRequests)),
    dependencies=[EmailRequestLimit],
)
router.include_router(
    _documented(
        verify, "/verify", raises(VerifyUserBadToken, VerifyUserAlreadyVerified)
    )
)
router.include_router(
    _documented(
        reset,
        "/reset-password",
        raises(ResetPasswordBadToken, ResetPasswordInvalidPassword),
    )
)


@router.post(
    "/login",
    response_model=BearerResponse,
    dependencies=[LoginLimit, LoginFailureAudit],
    responses=raises(LoginBadCredentials, TooManyRequests),
)
async def login(
    credentials: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    manager: UserManagerDep,
    client: ClientInfoDep,
    settings: SettingsDep,
    strategy: TokenStrategy,
) -> Response:
    """Sign in with email (`username`) and password: an access token in the body,
    the refresh token in an HttpOnly cookie."""
    user = await manager.authenticate(credentials)
    if user is None or not user.is_active:
        raise LoginBadCredentials()
    signed_in = await sessions.start_session(
        session,
        user,
        client=client,
        settings=settings,
        tokens=strategy,
        method="password",
    )
    return signed_in_response(signed_in, settings)


@router.post(
    "/refresh",
    response_model=BearerResponse,
    dependencies=[Depends(require_csrf_header)],
    responses=raises(RefreshTokenMissing, RefreshTokenInvalid, CsrfHeaderMissing),
)
async def refresh_access_token(
    session: SessionDep,
    cookie: PresentedCookieDep,
    client: ClientInfoDep,
    settings: SettingsDep,
    strategy: TokenStrategy,
) -> Response:
    """Rotate the refresh cookie and return a new access token.

    Within REFRESH_REUSE_GRACE_SECONDS of a rotation, the token just rotated away
    gets an access token and no new cookie (two tabs refreshing at once).
    """
    signed_in = await sessions.refresh_session(
        session, cookie, client=client, settings=settings, tokens=strategy
    )
    return signed_in_response(signed_in, settings)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=raises(Unauthorized, CsrfHeaderMissing),
)
async def logout(
    session: SessionDep,
    access: OptionalAccessSession,
    cookie: PresentedCookieDep,
    client: ClientInfoDep,
    settings: SettingsDep,
    everywhere: Annotated[
        bool, Query(description="End every session of the user, not only this one.")
    ] = False,
) -> Response:
    """End the current session (or every one) and clear the refresh cookie.

    The session is named by the access token (`Authorization: Bearer`), or by
    the refresh cookie with the CSRF header, so an SPA that lost its access
    token can still log out. An invalid cookie is cleared all the same.
    """
    await sessions.end_current_session(
        session, access=access, cookie=cookie, client=client, everywhere=everywhere
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_refresh_cookie(response, settings)
    return response
