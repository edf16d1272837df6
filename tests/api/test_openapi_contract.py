"""What the OpenAPI schema and the HTTP answers promise, checked against each other."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.schemas.common import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

NEW_PASSWORD_FIELDS = {"password", "new_password"}
# Signing in takes the password as it is stored, whatever the policy was then.
LOGIN_FORM = "Body_auth_login"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/v1/items", "GET, POST"),
        (
            "PUT",
            "/api/v1/items/0b0e7c4e-4a55-4c4c-9c57-1f1e1e1e1e1e",
            "DELETE, GET, PATCH",
        ),
        ("POST", "/api/v1/users/me", "DELETE, GET, PATCH"),
        ("GET", "/api/v1/auth/login", "POST"),
        ("PUT", "/health", "GET, HEAD"),
    ],
)
async def test_405_lists_every_method_the_path_answers(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 405
    assert response.json() == {"detail": "METHOD_NOT_ALLOWED"}
    assert response.headers["allow"] == allowed


def properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A component's properties, with `anyOf: [X, null]` unwrapped to X."""
    found = {}
    for name, prop in schema.get("properties", {}).items():
        branches = [b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"]
        found[name] = branches[0]
    return found


def test_every_new_password_field_declares_the_policys_length(app: FastAPI) -> None:
    components = app.openapi()["components"]["schemas"]
    fields = {
        f"{component}.{name}": (prop.get("minLength"), prop.get("maxLength"))
        for component, schema in components.items()
        for name, prop in properties(schema).items()
        if name in NEW_PASSWORD_FIELDS and component != LOGIN_FORM
    }

    assert {
        "UserCreate.password",
        "UserUpdate.password",
        "PasswordReset.password",
    } <= set(fields)
    assert set(fields.values()) == {(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH)}, fields


def test_email_fields_declare_internationalised_addresses(app: FastAPI) -> None:
    components = app.openapi()["components"]["schemas"]

    formats = {
        f"{component}.{name}": prop.get("format")
        for component, schema in components.items()
        for name, prop in properties(schema).items()
        if name == "email"
    }

    assert "UserRead.email" in formats
    assert set(formats.values()) == {"idn-email"}, formats


async def test_an_internationalised_address_round_trips(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "zoë@bücher.example", "password": "a-long-Passphrase-42"},
    )

    assert response.status_code == 201
    assert response.json()["email"] == "zoë@bücher.example"
