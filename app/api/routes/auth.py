"""Login, registration, refresh and logout, verification, password reset.

Registration and verification are fastapi-users' routes (their OpenAPI errors
replaced by the catalogue's). Login, refresh and logout are gatehouse's: they
start, rotate and end sessions through `app.sessions.service`. The two email
requests answer before looking the address up, and the reset declares the
password policy's bounds; they call fastapi-users' manager all the same.
"""

from typing import Annotated

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Body,
    Depends,
    Query,
    Request,
    Response,
    status,
)
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import exceptions
from fastapi_users.authentication.transport.bearer import BearerResponse

from app.api.audit import LoginFailureAudit
from app.api.deps import (
    ClientInfoDep,
    OptionalAccessSession,
    PresentedCookieDep,
    SessionDep,
    SettingsDep,
    SignInDep,
    UserManagerDep,
    fastapi_users,
    require_csrf_header,
    require_database,
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
from app.mfa.gate import begin_sign_in
from app.mfa.transport import sign_in_response
from app.schemas.mfa import LoginAnswer
from app.schemas.user import Email, PasswordReset, UserAccountRead, UserCreate
from app.services import email_requests
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


register = fastapi_users.get_register_router(UserAccountRead, UserCreate)
verify = fastapi_users.get_verify_router(UserAccountRead)

router.include_router(
    _documented(
        register,
        "/register",
        raises(RegisterUserAlreadyExists, RegisterInvalidPassword, TooManyRequests),
    ),
    dependencies=[RegistrationLimit],
)
router.include_router(
    _documented(
        verify, "/verify", raises(VerifyUserBadToken, VerifyUserAlreadyVerified)
    )
)

EmailBody = Annotated[Email, Body(embed=True)]


def _after_answering(
    request: Request,
    background: BackgroundTasks,
    email_request: email_requests.EmailRequest,
    email: str,
) -> None:
    state = request.app.state
    background.add_task(
        email_requests.fulfil,
        email_request,
        email,
        state.sessionmaker,
        state.settings,
        state.email_queue,
    )


@router.post(
    "/forgot-password",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[EmailRequestLimit, Depends(require_database)],
    responses=raises(TooManyRequests),
)
async def forgot_password(
    request: Request, email: EmailBody, background: BackgroundTasks
) -> None:
    """Email a password-reset link if an active account has this address.

    Always 202 (503 when the database is down), answered before the address is
    looked up: neither the answer nor its timing tells whether an account exists.
    """
    _after_answering(request, background, email_requests.PASSWORD_RESET, email)


@router.post(
    "/request-verify-token",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[EmailRequestLimit, Depends(require_database)],
    responses=raises(TooManyRequests),
)
async def request_verify_token(
    request: Request, email: EmailBody, background: BackgroundTasks
) -> None:
    """Email a new verification link if an unverified account has this address.

    Always 202, answered before the address is looked up (as forgot-password).
    """
    _after_answering(request, background, email_requests.VERIFICATION, email)


@router.post(
    "/reset-password",
    responses=raises(ResetPasswordBadToken, ResetPasswordInvalidPassword),
)
async def reset_password(
    request: Request, data: PasswordReset, manager: UserManagerDep
) -> None:
    """Set a new password with the token from the reset email; the token works once.

    Every session of the account ends (the password that started them is gone).
    """
    try:
        await manager.reset_password(data.token, data.password, request)
    except (
        exceptions.InvalidResetPasswordToken,
        exceptions.UserNotExists,
        exceptions.UserInactive,
    ) as exc:
        raise ResetPasswordBadToken() from exc
    except exceptions.InvalidPasswordException as exc:
        raise ResetPasswordInvalidPassword(str(exc.reason)) from exc


@router.post(
    "/login",
    response_model=LoginAnswer,
    dependencies=[LoginLimit, LoginFailureAudit],
    responses=raises(LoginBadCredentials, TooManyRequests),
)
async def login(
    credentials: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    manager: UserManagerDep,
    context: SignInDep,
) -> Response:
    """Sign in with email (`username`) and password: an access token in the body,
    the refresh token in an HttpOnly cookie.

    With two-factor authentication on, the answer is `{"mfa_required": true,
    "methods": [...]}` instead, with no token and no refresh cookie but a
    5-minute challenge cookie: finish with `POST /auth/mfa/verify`.
    """
    user = await manager.authenticate(credentials)
    if user is None or not user.is_active:
        raise LoginBadCredentials()
    result = await begin_sign_in(session, user, context, method="password")
    return sign_in_response(result, context.settings)


@router.post(
    "/refresh",
    response_model=BearerResponse,
    dependencies=[Depends(require_csrf_header)],
    responses=raises(RefreshTokenMissing, RefreshTokenInvalid, CsrfHeaderMissing),
)
async def refresh_access_token(
    session: SessionDep, cookie: PresentedCookieDep, context: SignInDep
) -> Response:
    """Rotate the refresh cookie and return a new access token.

    Within REFRESH_REUSE_GRACE_SECONDS of a rotation, the token just rotated away
    gets an access token and no new cookie (two tabs refreshing at once).
    """
    signed_in = await sessions.refresh_session(session, cookie, context)
    return signed_in_response(signed_in, context.settings)


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
