"""Single use under concurrency: the same code sent several times at once, on
separate connections that commit (both databases), is accepted exactly once."""

import asyncio

import httpx
from fastapi import FastAPI

from tests.fixtures.mfa import RECOVERY_URL, Enrolment, enrol, password_login, verify
from tests.fixtures.sessions import ME_URL, bearer, browser_login
from tests.fixtures.users import create_user

AT_ONCE = 5


async def enrolled(
    app: FastAPI, client: httpx.AsyncClient, email: str
) -> tuple[Enrolment, dict[str, str]]:
    async with app.state.sessionmaker() as session:
        await create_user(app, session, email=email)
    headers = bearer(await browser_login(client, email))
    return await enrol(client, headers), headers


async def test_one_recovery_code_sent_at_once_is_used_once(
    app: FastAPI, committed_browser: httpx.AsyncClient
) -> None:
    enrolment, headers = await enrolled(app, committed_browser, "race-rc@example.com")
    code = enrolment.recovery_codes[0]

    responses = await asyncio.gather(
        *(
            committed_browser.post(RECOVERY_URL, json={"code": code}, headers=headers)
            for _ in range(AT_ONCE)
        )
    )

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, statuses
    refused = [r.json() for r in responses if r.status_code != 200]
    assert refused == [{"detail": "MFA_CODE_INVALID"}] * (AT_ONCE - 1)


async def test_one_totp_code_sent_at_once_is_used_once(
    app: FastAPI, committed_browser: httpx.AsyncClient
) -> None:
    enrolment, headers = await enrolled(app, committed_browser, "race-totp@example.com")
    code = enrolment.code(1)

    responses = await asyncio.gather(
        *(
            committed_browser.post(RECOVERY_URL, json={"code": code}, headers=headers)
            for _ in range(AT_ONCE)
        )
    )

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, statuses
    refused = [r.json() for r in responses if r.status_code != 200]
    assert refused == [{"detail": "MFA_CODE_INVALID"}] * (AT_ONCE - 1)


async def test_one_challenge_verified_at_once_starts_one_session(
    app: FastAPI, committed_browser: httpx.AsyncClient
) -> None:
    email = "race-verify@example.com"
    enrolment, _ = await enrolled(app, committed_browser, email)
    committed_browser.cookies.clear()
    await password_login(committed_browser, email)
    code = enrolment.recovery_codes[0]

    responses = await asyncio.gather(
        *(verify(committed_browser, code) for _ in range(AT_ONCE))
    )

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 400, 401}, statuses
    winner = responses[statuses.index(200)]
    me = await committed_browser.get(
        ME_URL, headers=bearer(winner.json()["access_token"])
    )
    assert me.json()["recovery_codes_left"] == 9
