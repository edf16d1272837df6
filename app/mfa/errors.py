"""Errors of the second-factor API."""

from app.core.errors import AppError, Conflict, Unauthorized


# Commits: the attempt a wrong code used up must be kept.
class MfaCodeInvalid(AppError, code="MFA_CODE_INVALID", commits=True):
    """The code is wrong, expired or already used."""


class MfaCodeRequired(AppError, code="MFA_CODE_REQUIRED"):
    """Two-factor authentication is on: send `mfa_code` (a current code or a
    recovery code)."""


class MfaChallengeMissing(Unauthorized, code="MFA_CHALLENGE_MISSING"):
    """No second-factor challenge cookie: sign in with the password first."""


class MfaChallengeExpired(Unauthorized, code="MFA_CHALLENGE_EXPIRED"):
    """The challenge is unknown, expired, used up or replaced: sign in again."""


class MfaAlreadyEnabled(Conflict, code="MFA_ALREADY_ENABLED"):
    """Two-factor authentication is already on; turn it off first."""


class MfaNotEnabled(Conflict, code="MFA_NOT_ENABLED"):
    """Two-factor authentication is not on for this account."""


class MfaSetupNotStarted(Conflict, code="MFA_SETUP_NOT_STARTED"):
    """No authenticator is being set up: call `totp/setup` first."""
