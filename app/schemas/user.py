"""User schemas, extending fastapi-users' own."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi_users import schemas
from pydantic import BaseModel, EmailStr, Field, field_validator
from pydantic.config import JsonDict

from app.schemas.common import FullName, SafeStr


class UserRead(schemas.BaseUser[uuid.UUID]):
    # Only validated addresses are stored, so the one read back is not validated
    # again: email-validator would be a tenth of the cost of GET /users/me.
    email: str = Field(json_schema_extra={"format": "email"})
    full_name: str | None = None
    created_at: datetime
    updated_at: datetime


class UserCreate(schemas.BaseUserCreate):
    password: SafeStr
    full_name: FullName | None = None


def _offer_no_null(schema: JsonDict) -> None:
    """Leave `null` out of a field's JSON schema: omit the field instead."""
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        schema["anyOf"] = [branch for branch in branches if branch != {"type": "null"}]


class UserUpdate(schemas.BaseUserUpdate):
    # Omit a field to leave it unchanged. Only full_name accepts null (it clears
    # the name); null for the others would reach NOT NULL columns, so it is a 422.
    password: SafeStr | None = Field(default=None, json_schema_extra=_offer_no_null)
    email: EmailStr | None = Field(default=None, json_schema_extra=_offer_no_null)
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


class UserSelfUpdate(UserUpdate):
    """PATCH /users/me. Like fastapi-users, the manager ignores the privilege
    fields (`is_active`, `is_superuser`, `is_verified`) on a self-update."""

    current_password: CurrentPassword | None = Field(
        default=None, description="Required to change the password."
    )


class PasswordChange(BaseModel):
    current_password: CurrentPassword
    new_password: SafeStr


class AccountDeletion(BaseModel):
    current_password: CurrentPassword
