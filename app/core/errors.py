"""Domain errors that carry their HTTP status and a stable upper-case code."""

from collections.abc import Sequence
from typing import Any, ClassVar


class AppError(Exception):
    """Rendered as `{"detail": code}` with `status_code` by the app's handler."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    # A few errors carry data besides the code: {"detail": {"code": ..., ...}}.
    detail: str | dict[str, Any]

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.code)
        self.detail = detail or self.code


class NotFound(AppError):
    status_code = 404
    code = "NOT_FOUND"


class Conflict(AppError):
    status_code = 409
    code = "CONFLICT"


class Forbidden(AppError):
    status_code = 403
    code = "FORBIDDEN"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"


# --- users -----------------------------------------------------------------


class UserAlreadyExists(Conflict):
    code = "USER_ALREADY_EXISTS"


class EmailAlreadyInUse(AppError):
    """fastapi-users' code and status for an update to a taken email."""

    code = "UPDATE_USER_EMAIL_ALREADY_EXISTS"


class InvalidCurrentPassword(AppError):
    code = "INVALID_CURRENT_PASSWORD"


class PasswordRejected(AppError):
    """The password policy refused a password; shaped like fastapi-users' errors."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code)
        self.detail = {"code": code, "reason": reason}


class CannotDeleteSelf(Conflict):
    code = "CANNOT_DELETE_SELF"


class CannotDeactivateSelf(Conflict):
    code = "CANNOT_DEACTIVATE_SELF"


class LastSuperuser(Conflict):
    code = "LAST_SUPERUSER"


class BulkEntryError(AppError):
    """Some entries of a bulk request were refused; `entries` names each one."""

    def __init__(self, entries: Sequence[dict[str, Any]], **extra: Any) -> None:
        super().__init__()
        self.detail = {"code": self.code, **extra, "entries": list(entries)}


class BulkEmailsConflict(BulkEntryError):
    """Emails already registered or repeated within the request."""

    status_code = 409
    code = "USERS_ALREADY_EXIST"

    def __init__(self, entries: Sequence[dict[str, Any]]) -> None:
        emails = dict.fromkeys(str(entry["email"]).lower() for entry in entries)
        super().__init__(entries, emails=list(emails))


class BulkPasswordsRejected(BulkEntryError):
    code = "BULK_CREATE_INVALID_PASSWORD"
