"""Recovery-code regeneration, turning MFA off, sensitive account changes,
password reset, and the administrator's reset."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User
from app.models.audit_event import AuditEventKind
from tests.api.routes.test_email_flows import token_from
from tests.fixtures.mfa import (
    RECOVERY_URL,
    TOTP_URL,
    Enrolment,
    enrol,
    events,
    password_login,
    verify,
)
from tests.fixtures.sessions import bearer, browser_login
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD, login

ME = "/api/v1/users/me"
CHANGE_PASSWORD = "/api/v1/users/me/password"
NEW_PASSWORD = "another-Passphrase-77"


async def disable(
    client: httpx.AsyncClient, headers: dict[str, str], password: str, code: str
) -> httpx.Response:
    return await client.request(
        "DELETE",
        TOTP_URL,
        json={"current_password": password, "code": code},
        headers=headers,
    )


async def test_regenerating_needs_a_current_code_and_replaces_the_set(
    browser: httpx.AsyncClient, user: User, db_session: AsyncSession
) -> None:
    headers = bearer(await browser_login(browser, user.email))
    enrolment = await enrol(browser, headers)

    missing = await browser.post(RECOVERY_URL, json={}, headers=headers)
    wrong = await browser.post(RECOVERY_URL, json={"code": "000000"}, headers=headers)
    fresh = await browser.post(
        RECOVERY_URL, json={"code": enrolment.code(1)}, headers=headers
    )

    assert missing.status_code == 422
    assert wrong.status_code == 400
    assert wrong.json() == {"detail": "MFA_CODE_INVALID"}
    assert fresh.status_code == 200, fresh.text
    new_codes = fresh.json()["recovery_codes"]
    assert len(new_codes) == 10
    assert not set(new_codes) & set(enrolment.recovery_codes)
    assert (await browser.get(ME, headers=headers)).json()["recovery_codes_left"] == 10
    browser.cookies.clear()
    await password_login(browser, user.email)
    assert (await verify(browser, enrolment.recovery_codes[0])).status_code == 400
    assert (await verify(browser, new_codes[0])).status_code == 200
    regenerated = AuditEventKind.MFA_RECOVERY_CODES_REGENERATED
    assert len(await events(db_session, regenerated, user.id)) == 1


async def test_regenerating_without_mfa_is_409(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        RECOVERY_URL, json={"code": "123456"}, headers=user_headers
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "MFA_NOT_ENABLED"}


async def test_disabling_needs_the_password_and_a_code(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    mailbox: Mailbox,
    db_session: AsyncSession,
) -> None:
    enrolment = await enrol(client, user_headers)

    bad_password = await disable(
        client, user_headers, "not-the-Passphrase-1", enrolment.code(1)
    )
    bad_code = await disable(client, user_headers, DEFAULT_PASSWORD, "000000")
    off = await disable(client, user_headers, DEFAULT_PASSWORD, enrolment.code(1))

    assert bad_password.status_code == 400
    assert bad_password.json() == {"detail": "INVALID_CURRENT_PASSWORD"}
    assert bad_code.status_code == 400
    assert bad_code.json() == {"detail": "MFA_CODE_INVALID"}
    assert off.status_code == 204, off.text
    me = (await client.get(ME, headers=user_headers)).json()
    assert (me["mfa_enabled"], me["recovery_codes_left"]) == (False, 0)
    assert "access_token" in (await password_login(client, user.email)).json()
    notices = await mailbox.wait_for(user.email, 2)
    assert any("turned off" in m.subject for m in notices)
    assert len(await events(db_session, AuditEventKind.MFA_DISABLED, user.id)) == 1
    again = await disable(client, user_headers, DEFAULT_PASSWORD, enrolment.code(1))
    assert again.status_code == 409


async def test_disabling_with_a_recovery_code(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enrolment = await enrol(client, user_headers)

    off = await disable(
        client, user_headers, DEFAULT_PASSWORD, enrolment.recovery_codes[3]
    )

    assert off.status_code == 204
    assert "access_token" in (await password_login(client, user.email)).json()


async def test_a_password_change_with_mfa_on_needs_a_code(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enrolment = await enrol(client, user_headers)
    body = {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}

    missing = await client.post(CHANGE_PASSWORD, json=body, headers=user_headers)
    wrong = await client.post(
        CHANGE_PASSWORD, json={**body, "mfa_code": "000000"}, headers=user_headers
    )
    changed = await client.post(
        CHANGE_PASSWORD,
        json={**body, "mfa_code": enrolment.code(1)},
        headers=user_headers,
    )

    assert missing.status_code == 400
    assert missing.json() == {"detail": "MFA_CODE_REQUIRED"}
    assert wrong.status_code == 400
    assert wrong.json() == {"detail": "MFA_CODE_INVALID"}
    assert changed.status_code == 204, changed.text
    gated = await password_login(client, user.email, NEW_PASSWORD)
    assert gated.json()["mfa_required"] is True


async def test_an_email_change_with_mfa_on_needs_a_code_a_name_change_does_not(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    enrolment = await enrol(client, user_headers)
    new_email = {"email": "moved@example.com", "current_password": DEFAULT_PASSWORD}

    missing = await client.patch(ME, json=new_email, headers=user_headers)
    renamed = await client.patch(
        ME, json={"full_name": "Renamed"}, headers=user_headers
    )
    moved = await client.patch(
        ME,
        json={**new_email, "mfa_code": enrolment.recovery_codes[0]},
        headers=user_headers,
    )

    assert missing.status_code == 400
    assert missing.json() == {"detail": "MFA_CODE_REQUIRED"}
    assert renamed.status_code == 200
    assert moved.status_code == 200, moved.text
    assert moved.json()["email"] == "moved@example.com"


async def test_a_password_change_without_mfa_needs_no_code(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        CHANGE_PASSWORD,
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=user_headers,
    )

    assert response.status_code == 204


async def test_a_password_reset_leaves_mfa_on(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    mailbox: Mailbox,
) -> None:
    await enrol(client, user_headers)
    mailbox.received.clear()
    forgot = await client.post(
        "/api/v1/auth/forgot-password", json={"email": user.email}
    )
    assert forgot.status_code == 202
    [reset_email] = [
        m for m in await mailbox.wait_for(user.email) if "Reset" in m.subject
    ]
    token = token_from(reset_email, "/reset-password")

    reset = await client.post(
        "/api/v1/auth/reset-password",
        json={"token": token, "password": NEW_PASSWORD},
    )

    assert reset.status_code == 200, reset.text
    gated = await password_login(client, user.email, NEW_PASSWORD)
    assert gated.json()["mfa_required"] is True


async def enrolled_user(client: httpx.AsyncClient, user: User) -> Enrolment:
    return await enrol(client, await login(client, user.email))


async def test_a_superuser_resets_a_users_mfa(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    superuser: User,
    mailbox: Mailbox,
    db_session: AsyncSession,
) -> None:
    await enrolled_user(client, user)
    url = f"/api/v1/users/{user.id}/mfa"

    reset = await client.delete(url, headers=superuser_headers)

    assert reset.status_code == 204, reset.text
    assert "access_token" in (await password_login(client, user.email)).json()
    [event] = await events(db_session, AuditEventKind.MFA_RESET, user.id)
    assert event.actor_user_id == superuser.id
    notices = await mailbox.wait_for(user.email, 2)
    [off] = [m for m in notices if "turned off" in m.subject]
    assert "by an administrator" in off.part("text/plain")
    again = await client.delete(url, headers=superuser_headers)
    assert again.status_code == 409
    assert again.json() == {"detail": "MFA_NOT_ENABLED"}


async def test_only_superusers_reset_mfa(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    url = f"/api/v1/users/{user.id}/mfa"

    assert (await client.delete(url)).status_code == 401
    assert (await client.delete(url, headers=user_headers)).status_code == 403


async def test_resetting_an_unknown_users_mfa_is_404(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.delete(
        "/api/v1/users/00000000-0000-0000-0000-000000000000/mfa",
        headers=superuser_headers,
    )

    assert response.status_code == 404
