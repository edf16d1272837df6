"""User schemas, extending fastapi-users' own."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi_users import schemas
from pydantic import BaseModel, EmailStr, Field, WithJsonSchema, field_validator
from pydantic.config import JsonDict

from app.schemas.common import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    FullName,
    SafeStr,
)

# Internationalised addresses (`josé@exämple.com`) are accepted and returned:
# JSON Schema's `email` format is ASCII-only, `idn-email` is what is meant.
IDN_EMAIL: JsonDict = {"format": "idn-email"}
# The policy's length bounds, documented for clients; the policy itself
# (app/auth/passwords.py) enforces them with a 400 naming the rule, like the
# other password rules, rather than a 422.
PASSWORD_BOUNDS: JsonDict = {
    "minLength": MIN_PASSWORD_LENGTH,
    "maxLength": MAX_PASSWORD_LENGTH,
}
Email = Annotated[EmailStr, WithJsonSchema({"type": "string", **IDN_EMAIL})]
NewPassword = Annotated[SafeStr, Field(json_schema_extra=PASSWORD_BOUNDS)]


class UserAccountRead(schemas.BaseUser[uuid.UUID]):
    """An account without its roles: what registration and verification answer
    (fastapi-users' own routes, which cannot load them)."""

    # Only validated addresses are stored, so the one read back is not validated
    # again: email-validator would be a tenth of the cost of GET /users/me.
    email: str = Field(json_schema_extra=IDN_EMAIL)
    full_name: str | None = None
    created_at: datetime
    updated_at: datetime


class UserRead(UserAccountRead):
    """An account with its roles and effective permissions (built by
    `app.api.user_reads`, one query for a whole page)."""

    roles: list[str] = Field(description="The slugs of the user's roles, sorted.")
    permissions: list[str] = Field(
        description="Effective permissions (their roles', or all for a "
        "superuser), sorted: show or hide the SPA's UI by them."
    )


class MeRead(UserRead):
    """Your own account, with the state of its second factor."""

    mfa_enabled: bool
    recovery_codes_left: int


class UserCreate(schemas.BaseUserCreate):
    email: Email
    password: NewPassword
    full_name: FullName | None = None


def _offer_no_null(schema: JsonDict) -> None:
    """Leave `null` out of a field's JSON schema: omit the field instead."""
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        schema["anyOf"] = [branch for branch in branches if branch != {"type": "null"}]


class UserUpdate(schemas.BaseUserUpdate):
    # Omit a field to leave it unchanged. Only full_name accepts null (it clears
    # the name); null for the others would reach NOT NULL columns, so it is a 422.
    password: NewPassword | None = Field(default=None, json_schema_extra=_offer_no_null)
    email: Email | None = Field(default=None, json_schema_extra=_offer_no_null)
    is_active: bool | None = Field(default=None, json_schema_extra=_offer_no_null)
    is_superuser: bool | None = Field(default=None, json_schema_extra=_offer_no_null)
    is_verified: bool | None = Field(default=None, json_schema_extra=_offer_no_null)
    full_name: FullName | None = None

    @field_validator("password", "email", "is_active", "is_superuser", "is_verified")
    @classmethod
    def _refuse_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted but must not be null")
        return value


# --- account self-service ----------------------------------------------------

CurrentPassword = Annotated[SafeStr, Field(description="The account's password.")]
MfaCodeField = Annotated[
    str | None,
    Field(
        default=None,
        max_length=64,
        description="With two-factor authentication on: a current code from "
        "the authenticator app or a recovery code.",
    ),
]


class UserSelfUpdate(UserUpdate):
    """PATCH /users/me. Like fastapi-users, the manager ignores the privilege
    fields (`is_active`, `is_superuser`, `is_verified`) on a self-update."""

    current_password: CurrentPassword | None = Field(
        default=None, description="Required to change the password or the email."
    )
    mfa_code: MfaCodeField = None


class PasswordChange(BaseModel):
    current_password: CurrentPassword
    new_password: NewPassword
    mfa_code: MfaCodeField = None


class PasswordReset(BaseModel):
    """The token from the reset email's link, and the new password."""

    token: str
    password: NewPassword


class AccountDeletion(BaseModel):
    current_password: CurrentPassword
