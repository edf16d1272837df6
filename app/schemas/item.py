"""Item schemas: create, partial update and read."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
)

from app.schemas.common import reject_unstorable_text

TITLE_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 10_000

# SafeStr's validator, placed after the constraints so blank titles are refused
# after stripping (see app.schemas.common.FullName).
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH),
    AfterValidator(reject_unstorable_text),
]
Description = Annotated[
    str,
    StringConstraints(max_length=DESCRIPTION_MAX_LENGTH),
    AfterValidator(reject_unstorable_text),
]


class ItemCreate(BaseModel):
    title: Title
    description: Description | None = None


def _drop_null_from_schema(schema: dict[str, Any]) -> None:
    """Document an optional field as not nullable (its validator refuses null)."""
    variants = schema.pop("anyOf")
    schema.pop("default", None)
    schema.update(next(v for v in variants if v.get("type") != "null"))


class ItemUpdate(BaseModel):
    """PATCH body: only the fields sent are changed; `description: null` clears it."""

    title: Title | None = Field(default=None, json_schema_extra=_drop_null_from_schema)
    description: Description | None = None

    @field_validator("title")
    @classmethod
    def _title_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("title cannot be null")
        return value


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str | None
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


# Validates a page of rows in one call (pydantic-core loops, not Python).
ITEM_LIST = TypeAdapter(list[ItemRead])
