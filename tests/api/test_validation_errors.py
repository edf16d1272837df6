"""422 bodies name the field but never echo a secret, and cut long inputs."""

import httpx
import pytest

from app.api.errors import MAX_ECHOED_INPUT

SECRET = "hunter2-but-longer-and-secret"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        pytest.param(
            "/api/v1/auth/register",
            {"email": "not-an-email", "password": SECRET},
            "email",
            id="register-bad-email",
        ),
        pytest.param(
            "/api/v1/auth/register",
            {"email": "ok@example.com", "password": ["not", SECRET]},
            "password",
            id="register-password-not-a-string",
        ),
        pytest.param(
            "/api/v1/auth/reset-password",
            {"token": 12, "password": {"nested": SECRET}},
            "token",
            id="reset-token-and-password-wrong",
        ),
        pytest.param(
            "/api/v1/auth/register",
            {"password": SECRET},
            "email",
            id="register-missing-email",
        ),
    ],
)
async def test_a_422_never_echoes_a_password_or_token(
    client: httpx.AsyncClient, path: str, body: dict[str, object], field: str
) -> None:
    response = await client.post(path, json=body)

    assert response.status_code == 422
    assert SECRET not in response.text
    assert field in {
        str(part) for error in response.json()["detail"] for part in error["loc"]
    }


async def test_a_422_cuts_a_long_input(client: httpx.AsyncClient) -> None:
    long_value = "x" * 5000

    response = await client.get("/api/v1/items", params={"sort": long_value})

    [error] = response.json()["detail"]
    assert response.status_code == 422
    assert error["loc"] == ["query", "sort"]
    assert error["input"] == "x" * MAX_ECHOED_INPUT + "…"
