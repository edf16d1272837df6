"""All tables; importing this package registers them on `Base.metadata` (Alembic)."""

from app.db.base import Base
from app.models.audit_event import AuditEvent
from app.models.email_outbox import EmailOutbox
from app.models.item import Item
from app.models.mfa import MfaChallenge, MfaRecoveryCode, MfaTotp
from app.models.oauth_account import OAuthAccount
from app.models.oauth_state import OAuthState
from app.models.refresh_token import RefreshToken
from app.models.role import Role, RolePermission, UserRole
from app.models.user import User

__all__ = [
    "AuditEvent",
    "Base",
    "EmailOutbox",
    "Item",
    "MfaChallenge",
    "MfaRecoveryCode",
    "MfaTotp",
    "OAuthAccount",
    "OAuthState",
    "RefreshToken",
    "Role",
    "RolePermission",
    "User",
    "UserRole",
]
