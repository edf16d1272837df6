"""Errors of the user rules (administration and self-service)."""

from collections.abc import Sequence
from typing import Any

from app.auth.errors import PASSWORD_REASON_EXAMPLE
from app.core.errors import BadRequest, Conflict, NotFound


class UserNotFound(NotFound):
    """No such user (or not a valid user id)."""

    code = "USER_NOT_FOUND"


class UserAlreadyExists(Conflict):
    """The email is taken (in any letter case)."""

    code = "USER_ALREADY_EXISTS"


class InvalidCurrentPassword(BadRequest):
    """`current_password` is wrong or missing."""

    code = "INVALID_CURRENT_PASSWORD"


class CreateUserInvalidPassword(BadRequest):
    """The password fails the policy; `reason` says which rule."""

    code = "CREATE_USER_INVALID_PASSWORD"
    example_reason = PASSWORD_REASON_EXAMPLE


class CannotDeleteSelf(Conflict):
    """Use `DELETE /users/me` to delete your own account."""

    code = "CANNOT_DELETE_SELF"


class CannotDeactivateSelf(Conflict):
    """Another superuser must deactivate your account."""

    code = "CANNOT_DEACTIVATE_SELF"


class LastSuperuser(Conflict):
    """It would leave no active superuser."""

    code = "LAST_SUPERUSER"


def bulk_entry(index: int, email: str, reason: str) -> dict[str, Any]:
    """One refused entry of a bulk request: where it was, and why."""
    return {"index": index, "email": email, "reason": reason}


class BulkEmailsConflict(Conflict):
    """Emails already registered (`ALREADY_EXISTS`) or repeated in the request
    (`DUPLICATE_IN_REQUEST`), compared case-insensitively; `entries` names each."""

    code = "USERS_ALREADY_EXIST"
    example_reason = "1 entry refused (email taken or repeated)"

    def __init__(self, entries: Sequence[dict[str, Any]]) -> None:
        emails = dict.fromkeys(str(entry["email"]).lower() for entry in entries)
        super().__init__(
            _refused(entries, "email taken or repeated"),
            emails=list(emails),
            entries=list(entries),
        )


class BulkPasswordsRejected(BadRequest):
    """These entries' passwords fail the policy; `entries` gives each reason."""

    code = "BULK_CREATE_INVALID_PASSWORD"
    example_reason = "1 entry refused (password fails the policy)"

    def __init__(self, entries: Sequence[dict[str, Any]]) -> None:
        super().__init__(
            _refused(entries, "password fails the policy"), entries=list(entries)
        )


def _refused(entries: Sequence[object], why: str) -> str:
    count = len(entries)
    return f"{count} {'entry' if count == 1 else 'entries'} refused ({why})"
