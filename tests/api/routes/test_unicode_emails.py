"""Email uniqueness and lookups fold letter case fully, the same on both databases.

SQLite's lower() folds ASCII only: before `email_normalized`, `josé@exämple.com`
and `JOSÉ@EXÄMPLE.COM` were two accounts there.
"""

import httpx
import pytest

from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
FORGOT = "/api/v1/auth/forgot-password"
STORED = "josé@exämple.com"
CASE_PAIRS = [
    pytest.param("josé@exämple.com", "JOSÉ@EXÄMPLE.COM", id="accented-latin"),
    pytest.param("straße@example.com", "STRASSE@example.com", id="sharp-s"),
    pytest.param("ωμέγα@example.com", "ΩΜΈΓΑ@example.com", id="greek"),
]


async def register(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post(
        REGISTER, json={"email": email, "password": DEFAULT_PASSWORD}
    )


@pytest.mark.parametrize(("first", "second"), CASE_PAIRS)
async def test_an_address_in_another_case_is_the_same_account(
    client: httpx.AsyncClient, first: str, second: str
) -> None:
    assert (await register(client, first)).status_code == 201

    again = await register(client, second)

    assert again.status_code == 400
    assert again.json() == {"detail": "REGISTER_USER_ALREADY_EXISTS"}


async def test_login_finds_the_account_in_any_case(client: httpx.AsyncClient) -> None:
    assert (await register(client, STORED)).status_code == 201

    response = await client.post(
        LOGIN, data={"username": "JOSÉ@EXÄMPLE.COM", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200, response.text


async def test_forgot_password_finds_the_account_in_any_case(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    assert (await register(client, STORED)).status_code == 201

    response = await client.post(FORGOT, json={"email": "JOSÉ@EXÄMPLE.COM"})

    assert response.status_code == 202
    [email] = [
        m for m in await mailbox.wait_for(STORED, count=2) if "Reset" in m.subject
    ]
    assert email.recipients == [STORED]
