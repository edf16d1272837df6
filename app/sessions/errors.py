"""Errors of the sessions API."""

from app.core.errors import Forbidden, NotFound, Unauthorized


# Commits: a reused token has just had its whole session revoked; keep that.
class RefreshTokenInvalid(Unauthorized, code="REFRESH_TOKEN_INVALID", commits=True):
    """Unknown, expired, revoked or reused refresh cookie (it is cleared)."""


class RefreshTokenMissing(Unauthorized, code="REFRESH_TOKEN_MISSING"):
    """No refresh cookie was sent."""


class SessionNotFound(NotFound, code="SESSION_NOT_FOUND"):
    """No such live session of yours."""


class CsrfHeaderMissing(Forbidden, code="CSRF_HEADER_MISSING"):
    """The refresh cookie came without `X-Requested-With`."""
