"""User schemas, extending fastapi-users' own."""

import uuid
from datetime import datetime

from fastapi_users import schemas

from app.schemas.common import FullName, SafeStr


class UserRead(schemas.BaseUser[uuid.UUID]):
    full_name: str | None = None
    created_at: datetime
    updated_at: datetime


class UserCreate(schemas.BaseUserCreate):
    password: SafeStr
    full_name: FullName | None = None


class UserUpdate(schemas.BaseUserUpdate):
    password: SafeStr | None = None
    full_name: FullName | None = None
