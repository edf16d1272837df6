"""The refresh cookie: HttpOnly, scoped to the auth routes, SameSite=Lax.

The browser sends it to `{API_PREFIX}/auth/...` only (refresh, logout), never to
the rest of the API, and scripts cannot read it. `REFRESH_COOKIE_SECURE` decides
whether it travels over plain HTTP (refused in production);
`REFRESH_COOKIE_SAMESITE` whether it crosses sites (`none`, for an SPA on
another site; the CSRF header rule still applies).
"""

from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi_users.authentication.transport.bearer import BearerResponse
from starlette.responses import JSONResponse, Response

from app.core.config import API_PREFIX, Settings

if TYPE_CHECKING:
    from app.sessions.service import SignedIn

REFRESH_COOKIE_NAME = "gatehouse_refresh"
# Every cookie of signing in (this one, the second-factor challenge's) is sent
# to the auth routes only.
AUTH_COOKIE_PATH = f"{API_PREFIX}/auth"
REFRESH_COOKIE_PATH = AUTH_COOKIE_PATH


def set_auth_cookie(
    response: Response, name: str, value: str, *, max_age: int, settings: Settings
) -> None:
    """Set an HttpOnly cookie for the auth routes, with the refresh cookie's
    Secure and SameSite settings."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=AUTH_COOKIE_PATH,
        secure=settings.REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite=settings.REFRESH_COOKIE_SAMESITE,
    )


def clear_auth_cookie(response: Response, name: str, settings: Settings) -> None:
    response.delete_cookie(
        name,
        path=AUTH_COOKIE_PATH,
        secure=settings.REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite=settings.REFRESH_COOKIE_SAMESITE,
    )


def auth_cookie_clearing_headers(name: str, settings: Settings) -> dict[str, str]:
    """The headers that clear the cookie `name`, for an error response."""
    response = Response()
    clear_auth_cookie(response, name, settings)
    return {"set-cookie": response.headers["set-cookie"]}


def set_refresh_cookie(response: Response, token: str, settings: Settings) -> None:
    max_age = int(timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS).total_seconds())
    set_auth_cookie(
        response, REFRESH_COOKIE_NAME, token, max_age=max_age, settings=settings
    )


def clear_refresh_cookie(response: Response, settings: Settings) -> None:
    clear_auth_cookie(response, REFRESH_COOKIE_NAME, settings)


def clearing_headers(settings: Settings) -> dict[str, str]:
    """The headers that clear the refresh cookie, for an error response."""
    return auth_cookie_clearing_headers(REFRESH_COOKIE_NAME, settings)


def signed_in_response(signed_in: "SignedIn", settings: Settings) -> Response:
    """The answer to a login or a refresh: the access token in the body (the SPA
    keeps it in memory), the refresh token in the cookie."""
    body = BearerResponse(access_token=signed_in.access_token, token_type="bearer")
    response = JSONResponse(body.model_dump())
    if signed_in.refresh_token is not None:
        set_refresh_cookie(response, signed_in.refresh_token, settings)
    return response
