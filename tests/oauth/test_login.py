"""Signing in with each provider, and which account an identity lands in."""

import re
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent, OAuthAccount, User
from app.models.audit_event import AuditEventKind
from tests.fixtures.app import FRONTEND_URL
from tests.fixtures.mfa import challenge_cookie, enrol, events, verify
from tests.fixtures.oauth import (
    GITHUB_AUTHORIZE_ENDPOINT,
    GOOGLE_AUTHORIZE_ENDPOINT,
    GOOGLE_CLIENT_ID,
    OIDC_CLIENT_ID,
    OIDC_SLUG,
    PROVIDERS_PATH,
    Fakes,
    Landing,
    OIDCServer,
    come_back,
    provider_url,
    query_of,
    s256,
)
from tests.fixtures.sessions import (
    ME_URL,
    bearer,
    browser_login,
    refresh,
    refresh_cookie,
)
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import create_user, manager_for

NEW_PASSWORD = "a-brand-new-Passphrase-77"


def token_in(email_text: str, path: str) -> str:
    match = re.search(
        rf"{re.escape(FRONTEND_URL + path)}\?token=([^\s\"'<>]+)", email_text
    )
    assert match is not None, email_text
    return match.group(1)


def unique_email(prefix: str = "someone") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def google_login(
    browser: httpx.AsyncClient, fakes: Fakes, next: str = "/", **claims: object
) -> Landing:
    url = await provider_url(browser, "google", next=next)
    return await come_back(browser, fakes.google.consent(url, **claims))


async def github_login(
    browser: httpx.AsyncClient,
    fakes: Fakes,
    *,
    id: int,
    emails: list[dict[str, object]],
    next: str = "/",
) -> Landing:
    url = await provider_url(browser, "github", next=next)
    return await come_back(browser, fakes.github.consent(url, id=id, emails=emails))


async def oidc_login(
    browser: httpx.AsyncClient, oidc: OIDCServer, sub: str, next: str = "/"
) -> Landing:
    url = await provider_url(browser, OIDC_SLUG, next=next)
    return await come_back(browser, oidc.consent(url, sub))


async def me(browser: httpx.AsyncClient) -> dict[str, object]:
    """The SPA's next steps: refresh for an access token, then read the account."""
    refreshed = await refresh(browser)
    assert refreshed.status_code == 200, refreshed.text
    response = await browser.get(
        ME_URL, headers=bearer(refreshed.json()["access_token"])
    )
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    user: User | None = await session.scalar(select(User).where(User.email == email))
    return user


async def accounts_of(session: AsyncSession, user_id: object) -> list[OAuthAccount]:
    rows = await session.scalars(
        select(OAuthAccount).where(OAuthAccount.user_id == user_id)
    )
    return list(rows)


# --- the three providers ------------------------------------------------------------


async def test_providers_lists_the_enabled_ones(
    oauth_browser: httpx.AsyncClient,
) -> None:
    response = await oauth_browser.get(PROVIDERS_PATH)

    assert response.status_code == 200
    assert response.json() == [
        {"slug": "google", "display_name": "Google"},
        {"slug": "github", "display_name": "GitHub"},
        {"slug": OIDC_SLUG, "display_name": "Company SSO"},
    ]


async def test_no_provider_configured_lists_none(client: httpx.AsyncClient) -> None:
    response = await client.get(PROVIDERS_PATH)

    assert response.status_code == 200
    assert response.json() == []


async def test_oidc_sign_in_creates_a_verified_account_and_a_session(
    oauth_browser: httpx.AsyncClient, oidc: OIDCServer, db_session: AsyncSession
) -> None:
    email = unique_email("oidc")
    sub = f"sub-{uuid.uuid4()}"
    oidc.set_user(sub, email=email, email_verified=True, name="Olga Idc")

    url = await provider_url(oauth_browser, OIDC_SLUG, next="/dashboard?tab=2")
    params = query_of(url)
    assert url.startswith(oidc.url + "/oauth2/authorize?")
    assert params["client_id"] == OIDC_CLIENT_ID
    assert params["redirect_uri"] == (
        f"https://testserver/api/v1/auth/oauth/{OIDC_SLUG}/callback"
    )
    assert params["code_challenge_method"] == "S256"
    assert params["nonce"]
    assert params["state"]
    assert params["scope"] == "openid email profile"

    landed = await come_back(oauth_browser, oidc.consent(url, sub))

    assert landed.params == {"next": "/dashboard?tab=2"}
    cookie = refresh_cookie(landed.response)
    assert cookie is not None
    assert "httponly" in cookie.flags
    assert "token" not in landed.response.headers["location"]
    [token_request] = oidc.token_requests()
    assert s256(token_request.form["code_verifier"]) == params["code_challenge"]
    body = await me(oauth_browser)
    assert body["email"] == email
    assert body["is_verified"] is True
    assert body["full_name"] == "Olga Idc"
    user = await user_by_email(db_session, email)
    assert user is not None
    assert user.has_usable_password is False
    [account] = await accounts_of(db_session, user.id)
    assert (account.provider, account.subject, account.email) == (OIDC_SLUG, sub, email)
    methods = await db_session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.target_user_id == user.id,
            AuditEvent.kind == AuditEventKind.LOGIN_SUCCEEDED.value,
        )
    )
    assert list(methods) == [{"method": f"oauth:{OIDC_SLUG}"}]


async def test_google_sign_in_creates_a_verified_account(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, db_session: AsyncSession
) -> None:
    email = unique_email("google")

    url = await provider_url(oauth_browser, "google", next="/welcome")
    params = query_of(url)
    assert url.startswith(GOOGLE_AUTHORIZE_ENDPOINT + "?")
    assert params["client_id"] == GOOGLE_CLIENT_ID
    assert params["scope"] == "openid email profile"
    assert params["nonce"]
    landed = await come_back(
        oauth_browser,
        fakes.google.consent(url, sub="g-1001", email=email, email_verified=True),
    )

    assert landed.params == {"next": "/welcome"}
    [token_request] = fakes.google.token_requests
    assert s256(token_request["code_verifier"]) == params["code_challenge"]
    body = await me(oauth_browser)
    assert (body["email"], body["is_verified"]) == (email, True)


async def test_github_sign_in_uses_the_verified_primary_address(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, db_session: AsyncSession
) -> None:
    primary = unique_email("octo")
    url = await provider_url(oauth_browser, "github")
    assert url.startswith(GITHUB_AUTHORIZE_ENDPOINT + "?")
    assert "nonce" not in query_of(url)

    landed = await come_back(
        oauth_browser,
        fakes.github.consent(
            url,
            id=4242,
            emails=[
                {"email": unique_email("other"), "primary": False, "verified": True},
                {"email": primary, "primary": True, "verified": True},
            ],
        ),
    )

    assert landed.params == {"next": "/"}
    body = await me(oauth_browser)
    assert (body["email"], body["is_verified"]) == (primary, True)
    user = await user_by_email(db_session, primary)
    assert user is not None
    [account] = await accounts_of(db_session, user.id)
    assert (account.provider, account.subject) == ("github", "4242")


# --- which account ----------------------------------------------------------------


async def test_unverified_provider_email_creates_an_unverified_account(
    oauth_browser: httpx.AsyncClient,
    oidc: OIDCServer,
    db_session: AsyncSession,
    mailbox: Mailbox,
) -> None:
    email = unique_email("unverified")
    sub = f"sub-{uuid.uuid4()}"
    oidc.set_user(sub, email=email, email_verified=False)

    landed = await oidc_login(oauth_browser, oidc, sub)

    assert landed.error is None
    body = await me(oauth_browser)
    assert (body["email"], body["is_verified"]) == (email, False)
    # As after registration: the address gets a verification link.
    [message] = await mailbox.wait_for(email, within=30)
    assert "/verify-email?token=" in message.part("text/plain")


async def test_a_known_identity_signs_in_to_its_account_again(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, db_session: AsyncSession
) -> None:
    email = unique_email("again")
    claims = {"sub": "g-again", "email": email, "email_verified": True}
    assert (await google_login(oauth_browser, fakes, **claims)).error is None
    first = await me(oauth_browser)

    # Same subject, the address changed at Google since.
    new_email = unique_email("changed")
    claims["email"] = new_email
    landed = await google_login(oauth_browser, fakes, **claims)

    assert landed.error is None
    second = await me(oauth_browser)
    assert second["id"] == first["id"]
    assert second["email"] == email  # the account's own address is its own
    [account] = await accounts_of(db_session, uuid.UUID(str(first["id"])))
    assert account.email == new_email


async def test_a_verified_identity_links_to_the_verified_account_of_its_email(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
    mailbox: Mailbox,
) -> None:
    user = await create_user(oauth_app, db_session, email=unique_email("linked"))

    landed = await google_login(
        oauth_browser,
        fakes,
        sub="g-link",
        email=user.email.upper(),
        email_verified=True,
    )

    assert landed.error is None
    assert (await me(oauth_browser))["id"] == str(user.id)
    [account] = await accounts_of(db_session, user.id)
    assert account.subject == "g-link"
    # The owner hears of it: that Google account now signs in to theirs.
    notices = await mailbox.wait_for(user.email, within=30)
    [notice] = [m for m in notices if "provider was connected" in m.subject]
    assert "Google was connected" in notice.part("text/plain")


async def test_an_unverified_local_account_is_never_taken_over(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
) -> None:
    user = await create_user(
        oauth_app, db_session, email=unique_email("squatted"), is_verified=False
    )

    landed = await google_login(
        oauth_browser, fakes, sub="g-squat", email=user.email, email_verified=True
    )

    assert landed.error == "OAUTH_ACCOUNT_EXISTS"
    assert refresh_cookie(landed.response) is None
    assert await accounts_of(db_session, user.id) == []


async def test_an_unverified_provider_email_does_not_link_to_an_account(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    oidc: OIDCServer,
    db_session: AsyncSession,
) -> None:
    user = await create_user(oauth_app, db_session, email=unique_email("victim"))
    sub = f"sub-{uuid.uuid4()}"
    oidc.set_user(sub, email=user.email, email_verified=False)

    landed = await oidc_login(oauth_browser, oidc, sub)

    assert landed.error == "OAUTH_ACCOUNT_EXISTS"
    assert refresh_cookie(landed.response) is None
    assert await accounts_of(db_session, user.id) == []


async def test_github_without_a_verified_primary_address_is_refused(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, db_session: AsyncSession
) -> None:
    email = unique_email("unverified-gh")
    landed = await github_login(
        oauth_browser,
        fakes,
        id=777,
        emails=[
            {"email": email, "primary": True, "verified": False},
            {"email": unique_email("secondary"), "primary": False, "verified": True},
        ],
    )

    assert landed.error == "OAUTH_EMAIL_NOT_VERIFIED"
    assert refresh_cookie(landed.response) is None
    assert await user_by_email(db_session, email) is None


async def test_an_identity_without_any_email_is_refused(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    landed = await github_login(oauth_browser, fakes, id=778, emails=[])

    assert landed.error == "OAUTH_EMAIL_MISSING"


async def test_a_deactivated_user_cannot_sign_in_with_a_provider(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, db_session: AsyncSession
) -> None:
    email = unique_email("inactive")
    claims = {"sub": "g-inactive", "email": email, "email_verified": True}
    assert (await google_login(oauth_browser, fakes, **claims)).error is None
    user = await user_by_email(db_session, email)
    assert user is not None
    user.is_active = False
    await db_session.commit()
    oauth_browser.cookies.clear()

    landed = await google_login(oauth_browser, fakes, **claims)

    assert landed.error == "OAUTH_USER_INACTIVE"
    assert refresh_cookie(landed.response) is None


async def test_a_deactivated_account_is_not_linked_by_email(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
) -> None:
    user = await create_user(
        oauth_app, db_session, email=unique_email("off"), is_active=False
    )

    landed = await google_login(
        oauth_browser, fakes, sub="g-off", email=user.email, email_verified=True
    )

    assert landed.error == "OAUTH_USER_INACTIVE"
    assert await accounts_of(db_session, user.id) == []


async def test_deleting_a_user_deletes_their_identities(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
) -> None:
    email = unique_email("deleted")
    claims = {"sub": "g-deleted", "email": email, "email_verified": True}
    assert (await google_login(oauth_browser, fakes, **claims)).error is None
    user = await user_by_email(db_session, email)
    assert user is not None

    await manager_for(oauth_app, db_session).delete(user)
    await db_session.commit()

    assert await accounts_of(db_session, user.id) == []


async def test_forgot_password_gives_a_social_account_a_password(
    oauth_browser: httpx.AsyncClient,
    fakes: Fakes,
    db_session: AsyncSession,
    mailbox: Mailbox,
) -> None:
    email = unique_email("setpw")
    claims = {"sub": "g-setpw", "email": email, "email_verified": True}
    assert (await google_login(oauth_browser, fakes, **claims)).error is None

    await oauth_browser.post("/api/v1/auth/forgot-password", json={"email": email})
    [message] = await mailbox.wait_for(email, within=30)
    token = token_in(message.part("text/plain"), "/reset-password")
    reset = await oauth_browser.post(
        "/api/v1/auth/reset-password",
        json={"token": token, "password": NEW_PASSWORD},
    )

    assert reset.status_code == 200, reset.text
    user = await user_by_email(db_session, email)
    assert user is not None
    await db_session.refresh(user)
    assert user.has_usable_password is True
    await browser_login(oauth_browser, email, NEW_PASSWORD)


async def test_an_invalid_address_from_the_provider_is_no_address(
    oauth_browser: httpx.AsyncClient, fakes: Fakes
) -> None:
    landed = await google_login(
        oauth_browser,
        fakes,
        sub="g-bad-address",
        email="no at all",
        email_verified=True,
    )

    assert landed.error == "OAUTH_EMAIL_MISSING"


async def test_what_the_provider_says_is_made_to_fit(
    oauth_browser: httpx.AsyncClient, fakes: Fakes, db_session: AsyncSession
) -> None:
    email = unique_email("long-name")
    landed = await google_login(
        oauth_browser,
        fakes,
        sub="g-long-name",
        email=email,
        email_verified=True,
        name="N" * 1000,
    )
    too_long = await google_login(
        oauth_browser,
        fakes,
        sub="s" * 300,
        email=unique_email("x"),
        email_verified=True,
    )

    assert landed.error is None
    assert (await me(oauth_browser))["full_name"] == "N" * 255
    assert too_long.error == "OAUTH_PROVIDER_ERROR"


# --- the second factor ----------------------------------------------------------------


async def test_a_user_with_mfa_gives_the_code_after_the_provider(
    oauth_browser: httpx.AsyncClient,
    oauth_app: FastAPI,
    fakes: Fakes,
    db_session: AsyncSession,
) -> None:
    user = await create_user(oauth_app, db_session, email=unique_email("mfa"))
    enrolment = await enrol(
        oauth_browser, bearer(await browser_login(oauth_browser, user.email))
    )
    oauth_browser.cookies.clear()

    landed = await google_login(
        oauth_browser,
        fakes,
        next="/items",
        sub="g-mfa",
        email=user.email,
        email_verified=True,
    )

    # The provider vouched for the user; the session waits for the code.
    assert landed.params == {"mfa_required": "true", "next": "/items"}
    assert refresh_cookie(landed.response) is None
    assert challenge_cookie(landed.response) is not None
    assert (await refresh(oauth_browser)).status_code == 401
    verified = await verify(oauth_browser, enrolment.code(1))
    assert verified.status_code == 200, verified.text
    assert refresh_cookie(verified) is not None
    assert (await me(oauth_browser))["id"] == str(user.id)
    logins = await events(db_session, AuditEventKind.LOGIN_SUCCEEDED, user.id)
    succeeded = logins[-1]
    assert succeeded.details == {"method": "oauth:google"}
