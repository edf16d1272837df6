"""A reset or verification token works once, even when submitted many times at once.

fastapi-users' single-use guarantee rests on what the token was issued against
(the password hash, the unverified account); concurrent submissions all saw it
unchanged until the user row was locked while the token is checked.
"""

import asyncio

import httpx

from tests.api.routes.test_email_flows import token_from
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD

REGISTER = "/api/v1/auth/register"
FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
VERIFY = "/api/v1/auth/verify"
LOGIN = "/api/v1/auth/login"
AT_ONCE = 10


async def registered(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post(
        REGISTER, json={"email": email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 201, response.text


async def test_one_reset_token_submitted_ten_times_at_once_works_once(
    committed_client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email = "reset-race@example.com"
    await registered(committed_client, email)
    assert (
        await committed_client.post(FORGOT, json={"email": email})
    ).status_code == 202
    [reset_email] = [
        m for m in await mailbox.wait_for(email, 2) if "Reset" in m.subject
    ]
    token = token_from(reset_email, "/reset-password")
    passwords = [f"race-Passphrase-{n:02d}" for n in range(AT_ONCE)]

    responses = await asyncio.gather(
        *(
            committed_client.post(RESET, json={"token": token, "password": password})
            for password in passwords
        )
    )

    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 1, statuses
    refused = [r.json() for r in responses if r.status_code != 200]
    assert refused == [{"detail": "RESET_PASSWORD_BAD_TOKEN"}] * (AT_ONCE - 1)
    winner = passwords[statuses.index(200)]
    for password, works in ((winner, 200), (passwords[statuses.index(400)], 400)):
        login = await committed_client.post(
            LOGIN, data={"username": email, "password": password}
        )
        assert login.status_code == works


async def test_one_verification_token_submitted_ten_times_at_once_verifies_once(
    committed_client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email = "verify-race@example.com"
    await registered(committed_client, email)
    [verify_email] = await mailbox.wait_for(email)
    token = token_from(verify_email, "/verify-email")

    responses = await asyncio.gather(
        *(committed_client.post(VERIFY, json={"token": token}) for _ in range(AT_ONCE))
    )

    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 1, statuses
    refused = [r.json() for r in responses if r.status_code != 200]
    assert refused == [{"detail": "VERIFY_USER_ALREADY_VERIFIED"}] * (AT_ONCE - 1)
