"""The base error classes: each error carries its HTTP status and a stable code.

Concrete errors are defined beside their domain (user rules in
`app/services/user_errors.py`, session errors in `app/sessions/errors.py`, ...)
as subclasses of these. The app renders every one of them in one of two shapes:

- `{"detail": "CODE"}`, or
- `{"detail": {"code": "CODE", "reason": "...", ...data}}` when the error has a
  reason for people (a password rule) or data for the client (bulk entries).

Routes list the errors they can raise; `app/api/responses.py` turns those
classes into the OpenAPI `responses=` with one example per code.

A new error is a subclass that names its code, `class ItemNotFound(NotFound,
code="ITEM_NOT_FOUND")`, with a docstring saying what it means (the API docs'
description).
"""

from typing import Any, ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    # One line for the API docs; the class docstring's first line when empty.
    description: ClassVar[str] = ""
    # For errors that carry a reason: an example of it, for the API docs.
    example_reason: ClassVar[str | None] = None
    # A refusal whose writes must be kept (a reused refresh token revokes its
    # session, a wrong second-factor code counts an attempt): the request's
    # transaction commits before the error is answered.
    commits: ClassVar[bool] = False

    def __init_subclass__(
        cls,
        *,
        status: int | None = None,
        code: str | None = None,
        example_reason: str | None = None,
        commits: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status
        if code is not None:
            cls.code = code
        if example_reason is not None:
            cls.example_reason = example_reason
        if commits is not None:
            cls.commits = commits

    def __init__(
        self,
        reason: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **data: Any,
    ) -> None:
        super().__init__(reason or self.code)
        self.reason = reason
        self.data = data
        self.headers = headers

    @property
    def detail(self) -> str | dict[str, Any] | list[dict[str, Any]]:
        if self.reason is None and not self.data:
            return self.code
        return {"code": self.code, "reason": self.reason, **self.data}

    @classmethod
    def describe(cls) -> str:
        if cls.description:
            return cls.description
        return (cls.__doc__ or "").strip().split("\n", 1)[0]

    @classmethod
    def example(cls) -> dict[str, Any]:
        """The body this error is answered with, for the API docs."""
        if cls.example_reason is None:
            return {"detail": cls.code}
        return {"detail": {"code": cls.code, "reason": cls.example_reason}}


class BadRequest(AppError):
    """The request cannot be carried out as sent."""


class Unauthorized(AppError, status=401, code="UNAUTHORIZED"):
    """No valid access token, or the user is inactive."""


class Forbidden(AppError, status=403, code="FORBIDDEN"):
    """The user may not do this."""


class NotFound(AppError, status=404, code="NOT_FOUND"):
    """No such resource."""


class MethodNotAllowed(AppError, status=405, code="METHOD_NOT_ALLOWED"):
    """The path exists but not with this method; `Allow` lists the methods."""


class Conflict(AppError, status=409, code="CONFLICT"):
    """The request conflicts with the current state."""


class InvalidInput(AppError, status=422, code="INVALID_INPUT"):
    """A value passed validation but the database refused it."""


class TooManyRequests(AppError, status=429, code="RATE_LIMITED"):
    """Too many attempts; retry after `Retry-After` seconds."""


class InternalError(AppError, status=500, code="INTERNAL_SERVER_ERROR"):
    """An unexpected error, logged with the request id (`X-Request-ID`)."""


class ServiceUnavailable(AppError, status=503, code="SERVICE_UNAVAILABLE"):
    """The database cannot be reached; retry after `Retry-After` seconds."""
