"""Enrolling an authenticator: setup, confirmation, what /users/me says, and
what is stored (encrypted secrets, hashed recovery codes)."""

from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import MfaRecoveryCode, MfaTotp, User
from app.models.audit_event import AuditEventKind
from tests.fixtures.mfa import (
    CONFIRM_URL,
    SETUP_URL,
    enrol,
    events,
    password_login,
)
from tests.fixtures.smtp import Mailbox

ME = "/api/v1/users/me"


async def test_setup_answers_a_secret_its_uri_and_a_qr_code(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.post(SETUP_URL, headers=user_headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert len(pyotp.TOTP(body["secret"]).byte_secret()) >= 20
    uri = urlsplit(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Gatehouse:{user.email}"
    query = parse_qs(uri.query)
    assert query["secret"] == [body["secret"]]
    assert query["issuer"] == ["Gatehouse"]
    assert body["qr_svg"].startswith("<svg")
    assert 'xmlns="http://www.w3.org/2000/svg"' in body["qr_svg"]


async def test_setup_without_confirm_does_not_gate_login(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    assert (await client.post(SETUP_URL, headers=user_headers)).status_code == 200

    login = await password_login(client, user.email)

    assert "access_token" in login.json()
    me = (await client.get(ME, headers=user_headers)).json()
    assert (me["mfa_enabled"], me["recovery_codes_left"]) == (False, 0)


async def test_confirm_turns_mfa_on_and_shows_ten_recovery_codes_once(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    mailbox: Mailbox,
    db_session: AsyncSession,
) -> None:
    enrolment = await enrol(client, user_headers)

    codes = enrolment.recovery_codes
    assert len(codes) == len(set(codes)) == 10
    me = (await client.get(ME, headers=user_headers)).json()
    assert (me["mfa_enabled"], me["recovery_codes_left"]) == (True, 10)
    login = await password_login(client, user.email)
    assert login.json() == {"mfa_required": True, "methods": ["totp", "recovery_code"]}
    [notice] = await mailbox.wait_for(user.email)
    assert "turned on" in notice.subject
    assert len(await events(db_session, AuditEventKind.MFA_ENABLED, user.id)) == 1


async def test_confirm_refuses_a_wrong_code_and_stays_off(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    secret = (await client.post(SETUP_URL, headers=user_headers)).json()["secret"]
    wrong = str((int(pyotp.TOTP(secret).now()) + 1) % 1_000_000).zfill(6)

    response = await client.post(
        CONFIRM_URL, json={"code": wrong}, headers=user_headers
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "MFA_CODE_INVALID"}
    me = (await client.get(ME, headers=user_headers)).json()
    assert me["mfa_enabled"] is False


async def test_confirm_without_setup_is_409(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.post(
        CONFIRM_URL, json={"code": "123456"}, headers=user_headers
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "MFA_SETUP_NOT_STARTED"}


async def test_a_second_setup_replaces_the_pending_secret(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    first = (await client.post(SETUP_URL, headers=user_headers)).json()["secret"]
    second = (await client.post(SETUP_URL, headers=user_headers)).json()["secret"]

    stale = await client.post(
        CONFIRM_URL, json={"code": pyotp.TOTP(first).now()}, headers=user_headers
    )
    fresh = await client.post(
        CONFIRM_URL, json={"code": pyotp.TOTP(second).now()}, headers=user_headers
    )

    assert first != second
    assert stale.status_code == 400
    assert fresh.status_code == 200


async def test_setup_and_confirm_once_enabled_are_409(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    enrolment = await enrol(client, user_headers)

    setup = await client.post(SETUP_URL, headers=user_headers)
    confirm = await client.post(
        CONFIRM_URL, json={"code": enrolment.code(1)}, headers=user_headers
    )

    assert setup.status_code == confirm.status_code == 409
    assert setup.json() == confirm.json() == {"detail": "MFA_ALREADY_ENABLED"}


async def test_enrolment_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    for url, body in ((SETUP_URL, None), (CONFIRM_URL, {"code": "123456"})):
        response = await client.post(url, json=body)
        assert response.status_code == 401, url


async def test_the_secret_is_encrypted_and_codes_hashed_at_rest(
    client: httpx.AsyncClient,
    user: User,
    user_headers: dict[str, str],
    db_session: AsyncSession,
) -> None:
    enrolment = await enrol(client, user_headers)

    row = await db_session.scalar(select(MfaTotp).where(MfaTotp.user_id == user.id))
    assert row is not None
    assert row.confirmed_at is not None
    stored = row.secret_encrypted
    raw_secret = pyotp.TOTP(enrolment.secret).byte_secret()
    assert enrolment.secret not in stored
    assert enrolment.secret.lower() not in stored.lower()
    assert raw_secret.hex() not in stored
    hashes = (
        await db_session.scalars(
            select(MfaRecoveryCode.code_hash).where(MfaRecoveryCode.user_id == user.id)
        )
    ).all()
    assert len(hashes) == 10
    for code in enrolment.recovery_codes:
        plain = code.replace("-", "")
        assert all(plain not in h and code not in h for h in hashes)
