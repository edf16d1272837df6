"""Role schemas. Permissions are `resource:action` strings the code defines
(`GET /permissions` lists them); an unknown one is a 422 naming it."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from app.models.role import (
    PERMISSION_MAX_LENGTH,
    ROLE_NAME_MAX_LENGTH,
    ROLE_SLUG_MAX_LENGTH,
)
from app.schemas.common import reject_unstorable_text

ROLE_SLUG_PATTERN = r"^[a-z][a-z0-9_-]*$"
DESCRIPTION_MAX_LENGTH = 1000
MAX_PERMISSIONS = 100

RoleSlug = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=ROLE_SLUG_MAX_LENGTH, pattern=ROLE_SLUG_PATTERN
    ),
]
RoleName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=ROLE_NAME_MAX_LENGTH
    ),
    AfterValidator(reject_unstorable_text),
]
RoleDescription = Annotated[
    str,
    StringConstraints(max_length=DESCRIPTION_MAX_LENGTH),
    AfterValidator(reject_unstorable_text),
]
PermissionName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=PERMISSION_MAX_LENGTH),
    AfterValidator(reject_unstorable_text),
]
Permissions = Annotated[
    list[PermissionName],
    Field(
        max_length=MAX_PERMISSIONS,
        description="Permissions the code defines (`GET /permissions`).",
    ),
]


class RoleCreate(BaseModel):
    slug: RoleSlug = Field(
        description="Lower-case letters, digits, `-` and `_`; starts with a letter."
    )
    name: RoleName
    description: RoleDescription | None = None
    permissions: Permissions


class RoleUpdate(BaseModel):
    """Omit a field to leave it; `description: null` clears it."""

    name: RoleName | None = None
    description: RoleDescription | None = None
    permissions: Permissions | None = None

    @field_validator("name", "permissions")
    @classmethod
    def _refuse_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted but must not be null")
        return value


class RoleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    description: str | None
    is_system: bool
    permissions: list[str] = Field(description="Sorted.")
    created_at: datetime
    updated_at: datetime


class PermissionRead(BaseModel):
    name: str = Field(description="`resource:action`")
    description: str
