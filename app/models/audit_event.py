import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow

EMAIL_MAX_LENGTH = 320
IP_MAX_LENGTH = 64
USER_AGENT_MAX_LENGTH = 512


class AuditEventKind(StrEnum):
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET = "password.reset"
    EMAIL_CHANGED = "email.changed"
    EMAIL_VERIFIED = "email.verified"
    USER_DEACTIVATED = "user.deactivated"
    SUPERUSER_GRANTED = "superuser.granted"
    SUPERUSER_REVOKED = "superuser.revoked"
    USER_DELETED = "user.deleted"
    USER_REGISTERED_OAUTH = "user.registered.oauth"
    OAUTH_LINKED = "oauth.linked"
    OAUTH_UNLINKED = "oauth.unlinked"
    ROLE_CREATED = "role.created"
    ROLE_UPDATED = "role.updated"
    ROLE_DELETED = "role.deleted"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    MFA_ENABLED = "mfa.enabled"
    MFA_DISABLED = "mfa.disabled"
    MFA_RESET = "mfa.reset"
    MFA_VERIFY_SUCCEEDED = "mfa.verify_succeeded"
    MFA_VERIFY_FAILED = "mfa.verify_failed"
    MFA_RECOVERY_CODE_USED = "mfa.recovery_code_used"
    MFA_RECOVERY_CODES_REGENERATED = "mfa.recovery_codes_regenerated"


class AuditEvent(Base):
    """One security-relevant event: who did what to which account, from where.

    The user ids are set to NULL when the account is deleted, so the trail
    outlives it; `target_email` keeps the account's address at the time.
    """

    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(50), nullable=False)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    target_user_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    target_email: Mapped[str | None] = mapped_column(
        String(EMAIL_MAX_LENGTH), default=None
    )
    ip: Mapped[str | None] = mapped_column(String(IP_MAX_LENGTH), default=None)
    user_agent: Mapped[str | None] = mapped_column(
        String(USER_AGENT_MAX_LENGTH), default=None
    )
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=utcnow(), nullable=False
    )

    __table_args__ = (
        Index("ix_audit_events_created_at", "created_at"),
        Index(
            "ix_audit_events_target_user_id_created_at", "target_user_id", "created_at"
        ),
        # Also serves ON DELETE SET NULL when a user is deleted.
        Index(
            "ix_audit_events_actor_user_id_created_at", "actor_user_id", "created_at"
        ),
        Index("ix_audit_events_kind_created_at", "kind", "created_at"),
    )

    def __repr__(self) -> str:
        return f"AuditEvent(id={self.id!s}, kind={self.kind!r})"
