"""Signing in with a second factor: the challenge, the verify step, its limits."""

from datetime import UTC, datetime, timedelta

import httpx
import pyotp
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import MfaChallenge, User
from app.models.audit_event import AuditEventKind
from tests.fixtures.app import deliver_emails_after_responses
from tests.fixtures.app_factory import AppFactory, join_test_transaction
from tests.fixtures.mfa import (
    MFA_URL,
    Enrolment,
    challenge_cookie,
    enrol,
    events,
    password_login,
    stored_challenge,
    verify,
)
from tests.fixtures.sessions import (
    CSRF,
    ME_URL,
    bearer,
    browser_login,
    refresh_cookie,
)
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD

VERIFY_URL = f"{MFA_URL}/verify"
MFA_COOKIE = "gatehouse_mfa"


async def enrolled(browser: httpx.AsyncClient, user: User) -> Enrolment:
    access = await browser_login(browser, user.email)
    enrolment = await enrol(browser, bearer(access))
    browser.cookies.clear()
    return enrolment


def wrong(code: str) -> str:
    return str((int(code) + 1) % 1_000_000).zfill(6)


async def test_login_with_mfa_answers_a_challenge_and_no_tokens(
    browser: httpx.AsyncClient, user: User
) -> None:
    await enrolled(browser, user)

    response = await password_login(browser, user.email)

    assert response.json() == {
        "mfa_required": True,
        "methods": ["totp", "recovery_code"],
    }
    assert refresh_cookie(response) is None
    cookie = challenge_cookie(response)
    assert cookie is not None
    assert cookie.attributes["path"] == "/api/v1/auth"
    assert cookie.attributes["max-age"] == "300"
    assert cookie.attributes["samesite"].lower() == "lax"
    assert {"httponly", "secure"} <= cookie.flags


async def test_verify_with_a_totp_code_signs_in(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    enrolment = await enrolled(browser, user)
    await password_login(browser, user.email)

    response = await verify(browser, enrolment.code(1))

    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"
    assert refresh_cookie(response) is not None
    cleared = challenge_cookie(response)
    assert cleared is not None
    assert cleared.attributes.get("max-age") == "0"
    me = await browser.get(ME_URL, headers=bearer(response.json()["access_token"]))
    assert me.status_code == 200
    assert me.json()["mfa_enabled"] is True
    [succeeded] = await events(db_session, AuditEventKind.MFA_VERIFY_SUCCEEDED, user.id)
    assert succeeded.details == {"factor": "totp"}
    logins = await events(db_session, AuditEventKind.LOGIN_SUCCEEDED, user.id)
    assert logins[-1].details == {"method": "password"}


async def test_a_totp_code_is_accepted_once(
    browser: httpx.AsyncClient, user: User
) -> None:
    enrolment = await enrolled(browser, user)
    code = enrolment.code(1)
    await password_login(browser, user.email)
    assert (await verify(browser, code)).status_code == 200

    await password_login(browser, user.email)
    replay = await verify(browser, code)

    assert replay.status_code == 400
    assert replay.json() == {"detail": "MFA_CODE_INVALID"}


async def test_the_confirmation_code_cannot_sign_in(
    browser: httpx.AsyncClient, user: User
) -> None:
    access = await browser_login(browser, user.email)
    setup = await browser.post(f"{MFA_URL}/totp/setup", headers=bearer(access))
    code = pyotp.TOTP(setup.json()["secret"]).now()
    confirm = await browser.post(
        f"{MFA_URL}/totp/confirm", json={"code": code}, headers=bearer(access)
    )
    assert confirm.status_code == 200
    browser.cookies.clear()

    await password_login(browser, user.email)

    assert (await verify(browser, code)).status_code == 400


async def test_codes_outside_one_step_either_side_are_refused(
    browser: httpx.AsyncClient, user: User
) -> None:
    enrolment = await enrolled(browser, user)
    await password_login(browser, user.email)

    for steps in (3, -3):
        response = await verify(browser, enrolment.code(steps))
        assert response.status_code == 400, steps

    assert (await verify(browser, enrolment.code(1))).status_code == 200


async def test_verify_with_a_recovery_code_signs_in_once(
    browser: httpx.AsyncClient,
    user: User,
    mailbox: Mailbox,
    db_session: AsyncSession,
) -> None:
    enrolment = await enrolled(browser, user)
    code = enrolment.recovery_codes[0]
    await password_login(browser, user.email)

    # Typed by hand: case and separators do not matter.
    response = await verify(browser, code.upper().replace("-", " "))

    assert response.status_code == 200, response.text
    me = await browser.get(ME_URL, headers=bearer(response.json()["access_token"]))
    assert me.json()["recovery_codes_left"] == 9
    notices = await mailbox.wait_for(user.email, 2)
    [used] = [m for m in notices if "recovery code" in m.subject]
    assert "9 unused recovery codes left" in used.part("text/plain")
    [event] = await events(db_session, AuditEventKind.MFA_RECOVERY_CODE_USED, user.id)
    assert event.details == {"left": 9}
    browser.cookies.clear()
    await password_login(browser, user.email)
    replay = await verify(browser, code)
    assert replay.status_code == 400
    assert replay.json() == {"detail": "MFA_CODE_INVALID"}


async def test_five_wrong_codes_kill_the_challenge(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    enrolment = await enrolled(browser, user)
    await password_login(browser, user.email)

    for _ in range(5):
        response = await verify(browser, wrong(enrolment.code(1)))
        assert response.status_code == 400
        assert response.json() == {"detail": "MFA_CODE_INVALID"}
    dead = await verify(browser, enrolment.code(1))

    assert dead.status_code == 401
    assert dead.json() == {"detail": "MFA_CHALLENGE_EXPIRED"}
    cleared = challenge_cookie(dead)
    assert cleared is not None
    assert cleared.attributes.get("max-age") == "0"
    failures = await events(db_session, AuditEventKind.MFA_VERIFY_FAILED, user.id)
    assert len(failures) == 5
    # A new login starts a new challenge.
    await password_login(browser, user.email)
    assert (await verify(browser, enrolment.code(1))).status_code == 200


async def test_an_expired_challenge_is_refused(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    enrolment = await enrolled(browser, user)
    await password_login(browser, user.email)
    await db_session.execute(
        update(MfaChallenge)
        .where(MfaChallenge.user_id == user.id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await db_session.commit()

    response = await verify(browser, enrolment.code(1))

    assert response.status_code == 401
    assert response.json() == {"detail": "MFA_CHALLENGE_EXPIRED"}


async def test_the_cookie_of_an_earlier_login_is_refused(
    browser: httpx.AsyncClient, user: User
) -> None:
    enrolment = await enrolled(browser, user)
    await password_login(browser, user.email)
    earlier = stored_challenge(browser)
    browser.cookies.clear()
    await password_login(browser, user.email)
    latest = stored_challenge(browser)
    browser.cookies.clear()

    refused = await verify(browser, enrolment.code(1), Cookie=f"{MFA_COOKIE}={earlier}")
    accepted = await verify(browser, enrolment.code(1), Cookie=f"{MFA_COOKIE}={latest}")

    assert refused.status_code == 401
    assert refused.json() == {"detail": "MFA_CHALLENGE_EXPIRED"}
    assert accepted.status_code == 200


async def test_another_users_challenge_does_not_accept_my_code(
    browser: httpx.AsyncClient, user: User, superuser: User
) -> None:
    mine = await enrolled(browser, user)
    await enrolled(browser, superuser)
    await password_login(browser, superuser.email)

    response = await verify(browser, mine.code(1))

    assert response.status_code == 400


async def test_verify_without_a_cookie_or_with_a_forged_one_is_401(
    browser: httpx.AsyncClient, user: User
) -> None:
    enrolment = await enrolled(browser, user)

    missing = await verify(browser, enrolment.code(1))
    forged = await verify(browser, enrolment.code(1), Cookie=f"{MFA_COOKIE}=forged")

    assert missing.status_code == forged.status_code == 401
    assert missing.json() == {"detail": "MFA_CHALLENGE_MISSING"}
    assert forged.json() == {"detail": "MFA_CHALLENGE_EXPIRED"}


async def test_verify_needs_the_csrf_header(
    browser: httpx.AsyncClient, user: User
) -> None:
    enrolment = await enrolled(browser, user)
    await password_login(browser, user.email)

    response = await browser.post(VERIFY_URL, json={"code": enrolment.code(1)})

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF_HEADER_MISSING"}


async def test_a_wrong_password_never_reaches_the_second_factor(
    browser: httpx.AsyncClient, user: User
) -> None:
    await enrolled(browser, user)

    response = await browser.post(
        "/api/v1/auth/login",
        data={"username": user.email, "password": "not-the-Passphrase-1"},
    )

    assert response.status_code == 400
    assert challenge_cookie(response) is None


async def test_wrong_codes_count_against_the_accounts_login_failures(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    browser: httpx.AsyncClient,
    user: User,
) -> None:
    enrolment = await enrolled(browser, user)
    limited: FastAPI = join_test_transaction(
        app_factory(RATE_LIMIT_ENABLED=True), test_sessionmaker
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=limited),
        base_url="https://testserver",
        event_hooks=deliver_emails_after_responses(limited),
    ) as http:
        await password_login(http, user.email)
        for _ in range(5):  # RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: 5 per 5 minutes
            assert (await verify(http, wrong(enrolment.code(1)))).status_code == 400

        login = await http.post(
            "/api/v1/auth/login",
            data={"username": user.email, "password": DEFAULT_PASSWORD},
        )

    assert login.status_code == 429
    assert login.json() == {"detail": "RATE_LIMITED"}


async def test_an_inactive_user_cannot_finish_the_sign_in(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    enrolment = await enrolled(browser, user)
    await password_login(browser, user.email)
    await db_session.execute(
        update(User).where(User.id == user.id).values(is_active=False)
    )
    await db_session.commit()

    response = await verify(browser, enrolment.code(1), **CSRF)

    assert response.status_code == 401
    assert response.json() == {"detail": "MFA_CHALLENGE_EXPIRED"}


async def test_the_challenge_cookie_follows_the_refresh_cookie_settings(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    browser: httpx.AsyncClient,
    user: User,
) -> None:
    await enrolled(browser, user)
    cross_site: FastAPI = join_test_transaction(
        app_factory(REFRESH_COOKIE_SAMESITE="none"), test_sessionmaker
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=cross_site), base_url="https://testserver"
    ) as http:
        response = await password_login(http, user.email)

    cookie = challenge_cookie(response)
    assert cookie is not None
    assert cookie.attributes["samesite"].lower() == "none"
    assert {"httponly", "secure"} <= cookie.flags
