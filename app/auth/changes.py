"""What an account update changed, as audit events."""

from dataclasses import dataclass
from typing import Any

from app.models import User
from app.models.audit_event import AuditEventKind

AuditedChange = tuple[AuditEventKind, dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """The audited fields of a user, taken before an update."""

    email: str
    hashed_password: str
    is_active: bool
    is_superuser: bool

    @classmethod
    def of(cls, user: User) -> "AccountSnapshot":
        return cls(
            email=user.email,
            hashed_password=user.hashed_password,
            is_active=user.is_active,
            is_superuser=user.is_superuser,
        )


def account_changes(before: AccountSnapshot, after: User) -> list[AuditedChange]:
    """The audit events an update from `before` to `after` amounts to.

    A new password is always a new hash (a fresh salt), even when unchanged.
    """
    changes: list[AuditedChange] = []
    if after.email != before.email:
        details = {"old_email": before.email, "new_email": after.email}
        changes.append((AuditEventKind.EMAIL_CHANGED, details))
    if after.hashed_password != before.hashed_password:
        changes.append((AuditEventKind.PASSWORD_CHANGED, None))
    if before.is_active and not after.is_active:
        changes.append((AuditEventKind.USER_DEACTIVATED, None))
    if after.is_superuser != before.is_superuser:
        kind = (
            AuditEventKind.SUPERUSER_GRANTED
            if after.is_superuser
            else AuditEventKind.SUPERUSER_REVOKED
        )
        changes.append((kind, None))
    return changes
