"""Errors of the sessions API."""

from app.core.errors import Forbidden, NotFound, Unauthorized


class RefreshTokenInvalid(Unauthorized):
    """Unknown, expired, revoked or reused refresh cookie (it is cleared)."""

    code = "REFRESH_TOKEN_INVALID"
    # A reused token has just had its whole session revoked: keep that.
    commits = True


class RefreshTokenMissing(Unauthorized):
    """No refresh cookie was sent."""

    code = "REFRESH_TOKEN_MISSING"


class SessionNotFound(NotFound):
    """No such live session of yours."""

    code = "SESSION_NOT_FOUND"


class CsrfHeaderMissing(Forbidden):
    """The refresh cookie came without `X-Requested-With`."""

    code = "CSRF_HEADER_MISSING"
