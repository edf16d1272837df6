"""The challenge cookie: HttpOnly, 5 minutes, scoped to the auth routes.

It carries the token of a sign-in waiting for its second factor, with the
refresh cookie's Secure and SameSite settings (see `app.sessions.transport`).
"""

from starlette.responses import JSONResponse, Response

from app.core.config import Settings
from app.mfa.gate import MfaChallengeStarted, SignInResult
from app.sessions.transport import (
    auth_cookie_clearing_headers,
    clear_auth_cookie,
    set_auth_cookie,
    signed_in_response,
)

MFA_COOKIE_NAME = "gatehouse_mfa"


def set_challenge_cookie(response: Response, token: str, settings: Settings) -> None:
    set_auth_cookie(
        response,
        MFA_COOKIE_NAME,
        token,
        max_age=settings.MFA_CHALLENGE_EXPIRE_SECONDS,
        settings=settings,
    )


def clear_challenge_cookie(response: Response, settings: Settings) -> None:
    clear_auth_cookie(response, MFA_COOKIE_NAME, settings)


def challenge_clearing_headers(settings: Settings) -> dict[str, str]:
    """The headers that clear the challenge cookie, for an error response."""
    return auth_cookie_clearing_headers(MFA_COOKIE_NAME, settings)


def sign_in_response(
    result: SignInResult, settings: Settings, *, clear_challenge: bool = False
) -> Response:
    """The answer to a login: the session (access token, refresh cookie), or
    `{"mfa_required": true, "methods": [...]}` and the challenge cookie."""
    if isinstance(result, MfaChallengeStarted):
        body = {"mfa_required": True, "methods": list(result.methods)}
        response: Response = JSONResponse(body)
        set_challenge_cookie(response, result.token, settings)
        return response
    response = signed_in_response(result, settings)
    if clear_challenge:
        clear_challenge_cookie(response, settings)
    return response
