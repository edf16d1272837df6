"""Errors of the user rules (administration and self-service)."""

from collections.abc import Sequence
from typing import Any

from app.auth.errors import PASSWORD_REASON_EXAMPLE
from app.core.errors import BadRequest, Conflict, NotFound


class UserNotFound(NotFound, code="USER_NOT_FOUND"):
    """No such user (or not a valid user id)."""


class UserAlreadyExists(Conflict, code="USER_ALREADY_EXISTS"):
    """The email is taken (in any letter case)."""


class InvalidCurrentPassword(BadRequest, code="INVALID_CURRENT_PASSWORD"):
    """`current_password` is wrong or missing."""


class CreateUserInvalidPassword(
    BadRequest,
    code="CREATE_USER_INVALID_PASSWORD",
    example_reason=PASSWORD_REASON_EXAMPLE,
):
    """The password fails the policy; `reason` says which rule."""


class CannotDeleteSelf(Conflict, code="CANNOT_DELETE_SELF"):
    """Use `DELETE /users/me` to delete your own account."""


class CannotDeactivateSelf(Conflict, code="CANNOT_DEACTIVATE_SELF"):
    """Another superuser must deactivate your account."""


class LastSuperuser(Conflict, code="LAST_SUPERUSER"):
    """It would leave no active superuser."""


def bulk_entry(index: int, email: str, reason: str) -> dict[str, Any]:
    """One refused entry of a bulk request: where it was, and why."""
    return {"index": index, "email": email, "reason": reason}


class BulkEmailsConflict(
    Conflict,
    code="USERS_ALREADY_EXIST",
    example_reason="1 entry refused (email taken or repeated)",
):
    """Emails already registered (`ALREADY_EXISTS`) or repeated in the request
    (`DUPLICATE_IN_REQUEST`), compared case-insensitively; `entries` names each."""

    def __init__(self, entries: Sequence[dict[str, Any]]) -> None:
        emails = dict.fromkeys(str(entry["email"]).lower() for entry in entries)
        super().__init__(
            _refused(entries, "email taken or repeated"),
            emails=list(emails),
            entries=list(entries),
        )


class BulkPasswordsRejected(
    BadRequest,
    code="BULK_CREATE_INVALID_PASSWORD",
    example_reason="1 entry refused (password fails the policy)",
):
    """These entries' passwords fail the policy; `entries` gives each reason."""

    def __init__(self, entries: Sequence[dict[str, Any]]) -> None:
        super().__init__(
            _refused(entries, "password fails the policy"), entries=list(entries)
        )


def _refused(entries: Sequence[object], why: str) -> str:
    count = len(entries)
    return f"{count} {'entry' if count == 1 else 'entries'} refused ({why})"
