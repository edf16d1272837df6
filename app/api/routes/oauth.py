"""Social login (Google, GitHub, one OpenID Connect provider) and the user's
connected identities.

`authorize` and `callback` are browser navigations, not API calls: they always
answer 302, to the provider or to the SPA's callback page
(`FRONTEND_URL` + `OAUTH_CALLBACK_PATH`) with `?next=/path` on success,
`?mfa_required=true&next=/path` when the user's second factor is due, or
`?error=CODE` on failure, never a JSON error in the user's browser. The
session starts with the refresh cookie only; the SPA then calls
`POST /auth/refresh` for its access token, so no token is ever in a URL.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Query, Request, status
from fastapi.responses import RedirectResponse

from app.api.deps import (
    AUTHENTICATED,
    ClientInfoDep,
    CurrentUser,
    OAuthProvidersDep,
    RefreshCookie,
    SessionDep,
    SessionmakerDep,
    SettingsDep,
    SignInDep,
    WriteSessionDep,
)
from app.api.listing import PageParamsDep
from app.api.rate_limits import enforce_oauth_limit
from app.api.responses import Responses, raises
from app.core.config import Settings
from app.core.errors import AppError, TooManyRequests
from app.mfa.gate import MfaChallengeStarted
from app.mfa.transport import set_challenge_cookie
from app.oauth import accounts
from app.oauth import service as oauth
from app.oauth import state as flows
from app.oauth.errors import (
    FLOW_ERRORS,
    LastLoginMethod,
    OAuthAccountNotFound,
    OAuthError,
    OAuthProviderUnknown,
)
from app.oauth.providers import Provider, Providers
from app.schemas.listing import Page
from app.schemas.oauth import OAuthAccountRead, ProviderRead
from app.sessions.transport import set_refresh_cookie

RouteFunction = Callable[..., Awaitable[Any]]

router = APIRouter(prefix="/auth", tags=["oauth"])
accounts_router = APIRouter(prefix="/users/me/oauth-accounts", tags=["users"])

BrowserCookie = Annotated[
    str | None,
    Cookie(
        alias=flows.BROWSER_COOKIE_NAME,
        description="Binds a social-login flow to the browser that started it; "
        "set by authorize, HttpOnly.",
    ),
]

# What the SPA's callback page can get as `?error=`.
REDIRECT_ERRORS: tuple[type[AppError], ...] = (*FLOW_ERRORS, TooManyRequests)
REDIRECTS: Responses = {
    status.HTTP_302_FOUND: {
        "description": "To the provider; or to the SPA's callback page with "
        "`?next=/path` on success, `?mfa_required=true&next=/path` when the "
        "second factor is due (the challenge cookie set), or `?error=CODE`: "
        + " ".join(f"`{e.code}`: {e.describe()}" for e in REDIRECT_ERRORS)
    }
}


def _navigation(path: str) -> Callable[[RouteFunction], RouteFunction]:
    """A browser navigation: a GET that always answers 302."""
    return router.get(
        path,
        status_code=status.HTTP_302_FOUND,
        response_class=RedirectResponse,
        responses=REDIRECTS,
    )


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    response.headers["Cache-Control"] = "no-store"
    # The callback's own URL carries the code and the state: never pass it on.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _to_spa(settings: Settings, **params: str) -> RedirectResponse:
    url = settings.frontend_url(settings.OAUTH_CALLBACK_PATH)
    return _redirect(f"{url}?{urlencode(params)}")


def _provider(providers: Providers, slug: str) -> Provider:
    provider = providers.get(slug)
    if provider is None:
        raise OAuthProviderUnknown()
    return provider


@router.get("/providers", response_model=list[ProviderRead])
async def list_providers(providers: OAuthProvidersDep) -> list[ProviderRead]:
    """The enabled social-login providers, for the SPA's sign-in buttons."""
    return [
        ProviderRead(slug=provider.slug, display_name=provider.display_name)
        for provider in providers
    ]


@_navigation("/oauth/{provider}/authorize")
async def authorize(
    request: Request,
    provider: str,
    session: WriteSessionDep,
    providers: OAuthProvidersDep,
    settings: SettingsDep,
    browser_cookie: BrowserCookie = None,
    refresh_token: RefreshCookie = None,
    next: Annotated[
        str | None,
        Query(description="A path on the SPA to land on afterwards (else `/`)."),
    ] = None,
    intent: Annotated[
        str | None,
        Query(
            description="`login` (the default), or `connect`: add the provider to "
            "the signed-in account (needs a sign-in within the last 10 minutes)."
        ),
    ] = None,
) -> RedirectResponse:
    """Start social login: navigate the browser here (not `fetch`); it is sent
    on to the provider with `state`, a PKCE `code_challenge` and (OpenID) a
    `nonce`, remembered server-side for 10 minutes."""
    browser_secret = flows.usable_browser_secret(browser_cookie) or flows.new_secret()
    try:
        await enforce_oauth_limit(request, "authorize")
        url = await oauth.begin(
            session,
            _provider(providers, provider),
            settings,
            intent=oauth.parse_intent(intent),
            next_path=flows.safe_next(next),
            browser_secret=browser_secret,
            refresh_token=refresh_token,
        )
    except (OAuthError, TooManyRequests) as refusal:
        return _to_spa(settings, error=refusal.code)
    response = _redirect(url)
    response.set_cookie(
        flows.BROWSER_COOKIE_NAME,
        browser_secret,
        max_age=int(flows.STATE_LIFETIME.total_seconds()),
        path=flows.BROWSER_COOKIE_PATH,
        secure=settings.REFRESH_COOKIE_SECURE,
        httponly=True,
        # Lax: sent back on the provider's top-level redirect to the callback.
        samesite="lax",
    )
    return response


@_navigation("/oauth/{provider}/callback")
async def callback(
    request: Request,
    provider: str,
    session: WriteSessionDep,
    sessionmaker: SessionmakerDep,
    providers: OAuthProvidersDep,
    context: SignInDep,
    browser_cookie: BrowserCookie = None,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    """Where the provider sends the browser back. The state and this browser's
    cookie are checked before any call to the provider; then the code is
    exchanged (with the PKCE verifier) and the identity read."""
    settings = context.settings
    try:
        await enforce_oauth_limit(request, "callback")
        completed = await oauth.complete(
            session,
            sessionmaker,
            _provider(providers, provider),
            context,
            state=state,
            code=code,
            error=error,
            browser_secret=flows.usable_browser_secret(browser_cookie),
        )
    except (OAuthError, TooManyRequests) as refusal:
        return _to_spa(settings, error=refusal.code)
    result = completed.result
    if isinstance(result, MfaChallengeStarted):
        # The SPA asks for the code, then POST /auth/mfa/verify starts the session.
        response = _to_spa(settings, mfa_required="true", next=completed.next_path)
        set_challenge_cookie(response, result.token, settings)
        return response
    response = _to_spa(settings, next=completed.next_path)
    if result is not None and result.refresh_token:
        set_refresh_cookie(response, result.refresh_token, settings)
    return response


@accounts_router.get(
    "", response_model=Page[OAuthAccountRead], responses=raises(*AUTHENTICATED)
)
async def list_my_oauth_accounts(
    session: SessionDep, user: CurrentUser, page: PageParamsDep
) -> Page[OAuthAccountRead]:
    """Your connected provider identities, oldest first."""
    fetched = await accounts.list_accounts(session, user, page)
    items = [OAuthAccountRead.model_validate(account) for account in fetched.items]
    return Page[OAuthAccountRead].of(items, fetched, page)


@accounts_router.delete(
    "/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(*AUTHENTICATED, OAuthAccountNotFound, LastLoginMethod),
)
async def delete_my_oauth_account(
    account_id: uuid.UUID, session: SessionDep, user: CurrentUser, client: ClientInfoDep
) -> None:
    """Disconnect an identity; refused if you would be left with no password and
    no other identity (set a password with forgot-password first)."""
    await accounts.disconnect(session, user, account_id, client)
