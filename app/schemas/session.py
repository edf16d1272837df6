"""Session schemas: the user's signed-in devices."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.models import RefreshToken


class SessionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "A login on one device, kept alive by refreshing."
        }
    )

    id: uuid.UUID
    user_agent: str | None
    ip: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool

    @classmethod
    def of(cls, token: RefreshToken, current_session: uuid.UUID) -> "SessionRead":
        """A session as its live token describes it."""
        return cls(
            id=token.family_id,
            user_agent=token.user_agent,
            ip=token.ip,
            created_at=token.authenticated_at,
            last_used_at=token.created_at,
            expires_at=token.expires_at,
            current=token.family_id == current_session,
        )
