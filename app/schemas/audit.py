"""Audit event schemas: read only; events are written by the server."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.models.audit_event import AuditEventKind


class AuditEventRead(BaseModel):
    """A security event. User ids are null once that account has been deleted."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: AuditEventKind
    actor_user_id: uuid.UUID | None
    target_user_id: uuid.UUID | None
    target_email: str | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any] | None
    created_at: datetime
