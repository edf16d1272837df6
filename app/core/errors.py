"""Domain errors that carry their HTTP status and a stable upper-case code."""

from typing import ClassVar


class AppError(Exception):
    """Rendered as `{"detail": code}` with `status_code` by the app's handler."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"

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
