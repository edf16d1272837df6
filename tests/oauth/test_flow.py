"""The flow's safety: state, browser binding, PKCE, nonce, ID tokens, `next`,
failing providers and rate limits. Every refusal is a redirect to the SPA."""

import asyncio
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import OAuthState
from app.oauth.providers import GOOGLE_JWKS_URI
from app.oauth.state import BROWSER_COOKIE_NAME
from app.sessions.store import utc_now
from tests.fixtures.app_factory import AppFactory, closed_port, join_test_transaction
from tests.fixtures.oauth import (
    API_URL,
    CALLBACK_PATH,
    GOOGLE_CLIENT_ID,
    OIDC_SLUG,
    PROVIDERS_PATH,
    Fakes,
    OIDCServer,
    authorize,
    come_back,
    landing,
    oauth_settings,
    provider_url,
    query_of,
)
from tests.fixtures.sessions import browser_client, refresh_cookie, set_cookies


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {**query_of(url), **changes}
    return urlunsplit(parts._replace(query=urlencode(query)))


def without(url: str, name: str) -> str:
    parts = urlsplit(url)
    query = {k: v for k, v in query_of(url).items() if k != name}
    return urlunsplit(parts._replace(query=urlencode(query)))


async def google_redirect(browser: httpx.AsyncClient, fakes: Fakes, sub: str) -> str:
    """A flow up to the provider's redirect back (not followed yet)."""
    url = await provider_url(browser, "google")
    return fakes.google.consent(
        url, sub=sub, email=f"{sub}@example.com", email_verified=True
    )


# --- authorize --------------------------------------------------------------------


async def test_authorize_binds_the_flow_to_the_browser_with_a_cookie(
    oauth_browser: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    response = await authorize(oauth_browser, "google", next="/x")

    [cookie] = [c for c in set_cookies(response) if c.name == BROWSER_COOKIE_NAME]
    assert {"httponly", "secure"} <= cookie.flags
    assert cookie.attributes["path"] == "/api/v1/auth/oauth"
    assert cookie.attributes["samesite"].lower() == "lax"
    assert cookie.attributes["max-age"] == "600"
    assert response.headers["cache-control"] == "no-store"
    # Only hashes are stored; the record expires in 10 minutes.
    state = query_of(response.headers["location"])["state"]
    [row] = (await db_session.scalars(select(OAuthState))).all()
    assert state not in (row.state_hash, row.browser_hash)
    assert cookie.value not in (row.state_hash, row.browser_hash)
    assert row.next_path == "/x"
    lifetime = row.expires_at - utc_now()
    assert timedelta(minutes=9) < lifetime <= timedelta(minutes=10)


async def test_two_flows_in_one_browser_share_its_cookie(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    first = await google_redirect(oauth_browser, fakes, "g-tab-1")
    second = await google_redirect(oauth_browser, fakes, "g-tab-2")

    assert (await come_back(oauth_browser, first)).error is None
    assert (await come_back(oauth_browser, second)).error is None


async def test_an_unknown_provider_is_a_redirect_not_a_json_error(
    oauth_browser: httpx.AsyncClient,
) -> None:
    response = await oauth_browser.get("/api/v1/auth/oauth/myspace/authorize")

    assert landing(response).error == "OAUTH_PROVIDER_UNKNOWN"


async def test_an_unknown_intent_is_refused(oauth_browser: httpx.AsyncClient) -> None:
    response = await authorize(oauth_browser, "google", intent="takeover")

    assert landing(response).error == "OAUTH_INVALID_REQUEST"


@pytest.mark.parametrize(
    ("next_path", "kept"),
    [
        ("/settings/security?tab=2#top", "/settings/security?tab=2#top"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example/phish", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("settings", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
    ],
)
async def test_next_is_a_path_on_the_spa_or_nothing(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, next_path: str, kept: str
) -> None:
    url = await provider_url(oauth_browser, "google", next=next_path)
    redirect = fakes.google.consent(
        url,
        sub=f"g-next-{abs(hash(next_path))}",
        email="n@example.com",
        email_verified=True,
    )

    landed = await come_back(oauth_browser, redirect)

    assert landed.params == {"next": kept}
    location = landed.response.headers["location"]
    assert location.startswith("https://spa.example.com/auth/callback?")


# --- the state, checked before any call to the provider ---------------------------


async def test_a_callback_without_state_makes_no_token_request(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    redirect = await google_redirect(oauth_browser, fakes, "g-nostate")

    landed = await come_back(oauth_browser, without(redirect, "state"))

    assert landed.error == "OAUTH_STATE_INVALID"
    assert fakes.google.token_requests == []


async def test_a_tampered_state_makes_no_token_request(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    redirect = await google_redirect(oauth_browser, fakes, "g-tampered")
    state = query_of(redirect)["state"]
    tampered = state[:-2] + ("AA" if not state.endswith("AA") else "BB")

    landed = await come_back(oauth_browser, with_query(redirect, state=tampered))

    assert landed.error == "OAUTH_STATE_INVALID"
    assert fakes.google.token_requests == []


async def test_a_replayed_state_makes_no_second_token_request(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    redirect = await google_redirect(oauth_browser, fakes, "g-replayed")
    assert (await come_back(oauth_browser, redirect)).error is None

    landed = await come_back(oauth_browser, redirect)

    assert landed.error == "OAUTH_STATE_INVALID"
    assert refresh_cookie(landed.response) is None
    assert len(fakes.google.token_requests) == 1


async def test_an_expired_state_makes_no_token_request(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, db_session: AsyncSession
) -> None:
    redirect = await google_redirect(oauth_browser, fakes, "g-expired")
    await db_session.execute(
        update(OAuthState).values(expires_at=utc_now() - timedelta(seconds=1))
    )
    await db_session.commit()

    landed = await come_back(oauth_browser, redirect)

    assert landed.error == "OAUTH_STATE_INVALID"
    assert fakes.google.token_requests == []
    # Used up all the same.
    assert await db_session.scalar(select(func.count()).select_from(OAuthState)) == 0


async def test_a_state_from_another_browser_makes_no_token_request(
    oauth_browser: httpx.AsyncClient, oauth_app: FastAPI, fakes: Fakes
) -> None:
    """Login CSRF: an attacker's state and code, planted in the victim's browser."""
    redirect = await google_redirect(oauth_browser, fakes, "g-attacker")

    async with browser_client(oauth_app) as victim:
        without_cookie = await come_back(victim, redirect)
        await authorize(victim, "google")  # the victim's own cookie, another flow
        with_other_cookie = await come_back(victim, redirect)

    assert without_cookie.error == "OAUTH_STATE_INVALID"
    assert with_other_cookie.error == "OAUTH_STATE_INVALID"
    assert fakes.google.token_requests == []
    # The attacker's flow is still theirs to finish: nothing was used up.
    assert (await come_back(oauth_browser, redirect)).error is None


async def test_a_state_for_another_provider_makes_no_token_request(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, oidc: OIDCServer
) -> None:
    redirect = await google_redirect(oauth_browser, fakes, "g-crossed")
    crossed = redirect.replace("/oauth/google/", f"/oauth/{OIDC_SLUG}/")

    landed = await come_back(oauth_browser, crossed)

    assert landed.error == "OAUTH_STATE_INVALID"
    assert fakes.google.token_requests == []
    assert oidc.token_requests() == []


async def test_the_state_is_checked_before_the_provider_error(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    url = await provider_url(oauth_browser, "google")
    state = query_of(url)["state"]
    denied = f"{API_URL}{CALLBACK_PATH.format('google')}?" + urlencode(
        {"error": "access_denied", "state": state}
    )

    forged = await come_back(oauth_browser, with_query(denied, state="forged"))
    landed = await come_back(oauth_browser, denied)

    assert forged.error == "OAUTH_STATE_INVALID"
    assert landed.error == "OAUTH_ACCESS_DENIED"
    assert fakes.google.token_requests == []


async def test_a_callback_without_code_is_refused(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    redirect = await google_redirect(oauth_browser, fakes, "g-nocode")

    landed = await come_back(oauth_browser, without(redirect, "code"))

    assert landed.error == "OAUTH_INVALID_REQUEST"
    assert fakes.google.token_requests == []


# --- PKCE, the nonce and the ID token -------------------------------------------------


async def test_the_pkce_verifier_must_match_the_challenge(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    """The provider checks the verifier gatehouse sends: a code obtained with
    another challenge (an intercepted code) cannot be redeemed."""
    url = await provider_url(oauth_browser, "google")
    other = with_query(url, code_challenge="A" * 43)
    redirect = fakes.google.consent(
        other, sub="g-pkce", email="pkce@example.com", email_verified=True
    )

    landed = await come_back(oauth_browser, redirect)

    assert landed.error == "OAUTH_PROVIDER_ERROR"
    assert refresh_cookie(landed.response) is None
    assert len(fakes.google.token_requests) == 1


async def test_a_wrong_nonce_in_the_oidc_id_token_is_refused(
    oauth_browser: httpx.AsyncClient, oidc: OIDCServer
) -> None:
    sub = "sub-wrong-nonce"
    oidc.set_user(sub, email="nonce@example.com", email_verified=True)
    url = await provider_url(oauth_browser, OIDC_SLUG)
    # The provider puts whatever nonce it was asked for into the ID token.
    replayed = with_query(url, nonce="a-nonce-from-another-sign-in")

    landed = await come_back(oauth_browser, oidc.consent(replayed, sub))

    assert landed.error == "OAUTH_ID_TOKEN_INVALID"
    assert refresh_cookie(landed.response) is None


def other_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    "tampering",
    [
        {"nonce": "not-the-nonce"},
        {"nonce": None},
        {"aud": "another-client"},
        {"azp": "another-client"},
        {"iss": "https://accounts.evil.example"},
        {"exp": int(time.time()) - 3600},
        {"sub": None},
    ],
    ids=["nonce", "no-nonce", "audience", "azp", "issuer", "expired", "no-sub"],
)
async def test_a_bad_google_id_token_is_refused(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, tampering: dict[str, Any]
) -> None:
    fakes.google.id_token_overrides = {
        k: v for k, v in tampering.items() if v is not None
    }
    url = await provider_url(oauth_browser, "google")
    claims: dict[str, Any] = {
        "sub": "g-bad-token",
        "email": "bad@example.com",
        "email_verified": True,
    }
    redirect = fakes.google.consent(url, **claims)
    for name, value in tampering.items():
        if value is None:
            grant = fakes.google.grants[query_of(redirect)["code"]]
            grant.claims.pop(name, None)
            if name == "nonce":
                grant.nonce = None

    landed = await come_back(oauth_browser, redirect)

    assert landed.error == "OAUTH_ID_TOKEN_INVALID"
    assert refresh_cookie(landed.response) is None


async def test_an_id_token_signed_with_another_key_is_refused(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    redirect = await google_redirect(oauth_browser, fakes, "g-forged")
    published = fakes.google.jwks()
    fakes.google.key = other_key()  # the token is signed with a key not published
    fakes.router.get(GOOGLE_JWKS_URI).mock(
        return_value=httpx.Response(200, json=published)
    )

    landed = await come_back(oauth_browser, redirect)

    assert landed.error == "OAUTH_ID_TOKEN_INVALID"


async def test_an_unsigned_id_token_is_refused(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    redirect = await google_redirect(oauth_browser, fakes, "g-unsigned")
    grant = fakes.google.grants[query_of(redirect)["code"]]
    now = int(time.time())
    unsigned = jwt.encode(
        {
            "iss": "https://accounts.google.com",
            "aud": GOOGLE_CLIENT_ID,
            "sub": "g-unsigned",
            "iat": now,
            "exp": now + 600,
            "nonce": grant.nonce,
        },
        key=None,
        algorithm="none",
    )
    fakes.router.post("https://oauth2.googleapis.com/token").mock(
        return_value=httpx.Response(
            200, json={"access_token": "x", "id_token": unsigned}
        )
    )

    landed = await come_back(oauth_browser, redirect)

    assert landed.error == "OAUTH_ID_TOKEN_INVALID"


# --- providers that fail ------------------------------------------------------


async def test_an_unreachable_oidc_provider_is_a_clean_error_at_login(
    app_factory: AppFactory,
    oidc_server: OIDCServer,
    test_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    down = f"http://127.0.0.1:{closed_port()}/.well-known/openid-configuration"
    application = join_test_transaction(
        app_factory(**oauth_settings(oidc_server, OAUTH_OIDC_DISCOVERY_URL=down)),
        test_sessionmaker,
    )

    async with browser_client(application) as browser:
        listed = await browser.get(PROVIDERS_PATH)
        response = await authorize(browser, OIDC_SLUG)

    assert OIDC_SLUG in [p["slug"] for p in listed.json()]
    assert landing(response).error == "OAUTH_PROVIDER_ERROR"


async def test_a_provider_down_at_the_token_request_is_a_clean_error(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    redirect = await google_redirect(oauth_browser, fakes, "g-down")
    fakes.router.post("https://oauth2.googleapis.com/token").mock(
        side_effect=httpx.ConnectError("connection refused")
    )

    landed = await come_back(oauth_browser, redirect)

    assert landed.error == "OAUTH_PROVIDER_ERROR"
    assert refresh_cookie(landed.response) is None


async def test_a_provider_answering_garbage_is_a_clean_error(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    url = await provider_url(oauth_browser, "github")
    redirect = fakes.github.consent(url, id=1, emails=[])
    fakes.router.get("https://api.github.com/user").mock(
        return_value=httpx.Response(200, text="<html>rate limited</html>")
    )

    landed = await come_back(oauth_browser, redirect)

    assert landed.error == "OAUTH_PROVIDER_ERROR"


async def test_github_refusing_the_code_with_status_200_is_a_clean_error(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    url = await provider_url(oauth_browser, "github")
    redirect = fakes.github.consent(url, id=2, emails=[])

    landed = await come_back(oauth_browser, with_query(redirect, code="stolen"))

    assert landed.error == "OAUTH_PROVIDER_ERROR"


# --- rate limits -------------------------------------------------------------------


async def test_authorize_and_callback_are_rate_limited_per_ip(
    app_factory: AppFactory,
    oidc_server: OIDCServer,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    fakes: Fakes,
) -> None:
    application = join_test_transaction(
        app_factory(
            **oauth_settings(
                oidc_server,
                RATE_LIMIT_ENABLED=True,
                RATE_LIMIT_OAUTH_PER_IP="2/minute",
            )
        ),
        test_sessionmaker,
    )

    async with browser_client(application) as browser:
        redirects = [await google_redirect(browser, fakes, f"g-rl-{i}") for i in (1, 2)]
        third = landing(await browser.get("/api/v1/auth/oauth/google/authorize"))
        callbacks = [await come_back(browser, r) for r in redirects]
        replay = await come_back(browser, redirects[0])

    assert third.error == "RATE_LIMITED"
    assert [c.error for c in callbacks] == [None, None]
    assert replay.error == "RATE_LIMITED"


# --- single use across concurrent requests --------------------------------------


async def test_two_callbacks_racing_with_one_state_sign_in_once(
    app_factory: AppFactory,
    oidc_server: OIDCServer,
    fakes: Fakes,
    delete_committed_rows: None,
) -> None:
    """Each request on its own connection, committing for real (as two instances
    would): the DELETE ... RETURNING gives the record to one of them only."""
    application = app_factory(**oauth_settings(oidc_server))

    async with browser_client(application) as browser:
        redirect = await google_redirect(browser, fakes, "g-race")
        first, second = await asyncio.gather(
            come_back(browser, redirect), come_back(browser, redirect)
        )

    assert sorted([first.error or "", second.error or ""]) == [
        "",
        "OAUTH_STATE_INVALID",
    ]
    assert len(fakes.google.token_requests) == 1


@pytest.mark.parametrize("slug", ["google", "github", OIDC_SLUG])
async def test_each_provider_gets_no_token_request_for_a_bad_state(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    oidc: OIDCServer,
    slug: str,
) -> None:
    url = await provider_url(oauth_browser, slug)
    if slug == "google":
        redirect = fakes.google.consent(
            url, sub="g-each", email="each@example.com", email_verified=True
        )
    elif slug == "github":
        redirect = fakes.github.consent(url, id=31337, emails=[])
    else:
        oidc.set_user("sub-each", email="each@example.com", email_verified=True)
        redirect = oidc.consent(url, "sub-each")

    tampered = await come_back(oauth_browser, with_query(redirect, state="x" * 43))
    async with browser_client(oauth_app) as elsewhere:
        other_browser = await come_back(elsewhere, redirect)

    assert tampered.error == "OAUTH_STATE_INVALID"
    assert other_browser.error == "OAUTH_STATE_INVALID"
    token_requests = {
        "google": len(fakes.google.token_requests),
        "github": len(fakes.github.token_requests),
        OIDC_SLUG: len(oidc.token_requests()),
    }
    assert token_requests == {"google": 0, "github": 0, OIDC_SLUG: 0}
    # The browser that started it still finishes it: one token request, then.
    finished = await come_back(oauth_browser, redirect)
    assert finished.error in (None, "OAUTH_EMAIL_MISSING")
    assert (
        sum(
            [
                len(fakes.google.token_requests),
                len(fakes.github.token_requests),
                len(oidc.token_requests()),
            ]
        )
        == 1
    )
