"""fastapi-users' error codes, in the catalogue.

fastapi-users' routers raise these as `HTTPException(400, detail=CODE)` (or
`{"code": CODE, "reason": ...}` for password rules); the classes here document
them the same way as gatehouse's own errors, and gatehouse raises them where it
replaces one of its routes.
"""

from fastapi_users.router.common import ErrorCode

from app.core.errors import BadRequest

PASSWORD_REASON_EXAMPLE = "Password must be at least 8 characters long (it has 5)."


class PasswordRuleFailed(BadRequest, example_reason=PASSWORD_REASON_EXAMPLE):
    """A password fails the policy: answered `{code, reason}`, `reason` saying
    which rule. The base of the codes below that say so."""


class LoginBadCredentials(BadRequest, code=ErrorCode.LOGIN_BAD_CREDENTIALS.value):
    """Wrong email or password, or the user is inactive."""


class RegisterUserAlreadyExists(
    BadRequest, code=ErrorCode.REGISTER_USER_ALREADY_EXISTS.value
):
    """The email is taken (in any letter case)."""


class RegisterInvalidPassword(
    PasswordRuleFailed, code=ErrorCode.REGISTER_INVALID_PASSWORD.value
):
    """The password fails the policy; `reason` says which rule."""


class VerifyUserBadToken(BadRequest, code=ErrorCode.VERIFY_USER_BAD_TOKEN.value):
    """Bad or expired token, or not for the account's current email."""


class VerifyUserAlreadyVerified(
    BadRequest, code=ErrorCode.VERIFY_USER_ALREADY_VERIFIED.value
):
    """The account is verified already."""


class ResetPasswordBadToken(BadRequest, code=ErrorCode.RESET_PASSWORD_BAD_TOKEN.value):
    """Bad, expired or already used token, or the user is inactive."""


class ResetPasswordInvalidPassword(
    PasswordRuleFailed, code=ErrorCode.RESET_PASSWORD_INVALID_PASSWORD.value
):
    """The new password fails the policy; `reason` says which rule."""


class UpdateUserEmailAlreadyExists(
    BadRequest, code=ErrorCode.UPDATE_USER_EMAIL_ALREADY_EXISTS.value
):
    """The new email is taken (in any letter case)."""


class UpdateUserInvalidPassword(
    PasswordRuleFailed, code=ErrorCode.UPDATE_USER_INVALID_PASSWORD.value
):
    """The new password fails the policy; `reason` says which rule."""
