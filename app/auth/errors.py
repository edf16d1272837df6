"""fastapi-users' error codes, in the catalogue.

fastapi-users' routers raise these as `HTTPException(400, detail=CODE)` (or
`{"code": CODE, "reason": ...}` for password rules); the classes here document
them the same way as gatehouse's own errors, and gatehouse raises them where it
replaces one of its routes.
"""

from fastapi_users.router.common import ErrorCode

from app.core.errors import BadRequest

PASSWORD_REASON_EXAMPLE = "must be at least 8 characters long"


class LoginBadCredentials(BadRequest):
    """Wrong email or password, or the user is inactive."""

    code = ErrorCode.LOGIN_BAD_CREDENTIALS.value


class RegisterUserAlreadyExists(BadRequest):
    """The email is taken (in any letter case)."""

    code = ErrorCode.REGISTER_USER_ALREADY_EXISTS.value


class RegisterInvalidPassword(BadRequest):
    """The password fails the policy; `reason` says which rule."""

    code = ErrorCode.REGISTER_INVALID_PASSWORD.value
    example_reason = PASSWORD_REASON_EXAMPLE


class VerifyUserBadToken(BadRequest):
    """Bad or expired token, or not for the account's current email."""

    code = ErrorCode.VERIFY_USER_BAD_TOKEN.value


class VerifyUserAlreadyVerified(BadRequest):
    """The account is verified already."""

    code = ErrorCode.VERIFY_USER_ALREADY_VERIFIED.value


class ResetPasswordBadToken(BadRequest):
    """Bad, expired or already used token, or the user is inactive."""

    code = ErrorCode.RESET_PASSWORD_BAD_TOKEN.value


class ResetPasswordInvalidPassword(BadRequest):
    """The new password fails the policy; `reason` says which rule."""

    code = ErrorCode.RESET_PASSWORD_INVALID_PASSWORD.value
    example_reason = PASSWORD_REASON_EXAMPLE


class UpdateUserEmailAlreadyExists(BadRequest):
    """The new email is taken (in any letter case)."""

    code = ErrorCode.UPDATE_USER_EMAIL_ALREADY_EXISTS.value


class UpdateUserInvalidPassword(BadRequest):
    """The new password fails the policy; `reason` says which rule."""

    code = ErrorCode.UPDATE_USER_INVALID_PASSWORD.value
    example_reason = PASSWORD_REASON_EXAMPLE
