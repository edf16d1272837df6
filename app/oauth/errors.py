"""Errors of social login.

The authorize and callback routes are browser navigations: they answer these
as a redirect to the SPA's callback page with `?error=CODE`, never as JSON. The
identities API (`/users/me/oauth-accounts`) answers them as usual.
"""

from app.core.errors import AppError, Conflict, NotFound


class OAuthError(AppError, status=400, code="OAUTH_ERROR"):
    """Social login failed."""


class OAuthProviderUnknown(OAuthError, code="OAUTH_PROVIDER_UNKNOWN"):
    """No such provider is enabled."""


class OAuthInvalidRequest(OAuthError, code="OAUTH_INVALID_REQUEST"):
    """The authorize or callback request is malformed (an unknown intent, no code)."""


class OAuthStateInvalid(OAuthError, code="OAUTH_STATE_INVALID"):
    """The state is missing, unknown, already used, expired or from another browser."""


class OAuthAccessDenied(OAuthError, code="OAUTH_ACCESS_DENIED"):
    """The user (or the provider) declined the sign-in at the provider."""


class OAuthProviderError(OAuthError, code="OAUTH_PROVIDER_ERROR"):
    """The provider could not be reached or gave an answer that cannot be used."""


class OAuthIdTokenInvalid(OAuthError, code="OAUTH_ID_TOKEN_INVALID"):
    """The provider's ID token failed validation (signature, issuer, audience,
    expiry or nonce)."""


class OAuthEmailMissing(OAuthError, code="OAUTH_EMAIL_MISSING"):
    """The provider gave no email address for a new account."""


class OAuthEmailNotVerified(OAuthError, code="OAUTH_EMAIL_NOT_VERIFIED"):
    """The provider has not verified the email address (GitHub: no verified
    primary address)."""


class OAuthAccountExists(OAuthError, code="OAUTH_ACCOUNT_EXISTS"):
    """An account has this email: sign in with its password, then connect the
    provider from your settings."""


class OAuthUserInactive(OAuthError, code="OAUTH_USER_INACTIVE"):
    """The account is deactivated."""


class OAuthReauthenticationRequired(OAuthError, code="OAUTH_REAUTHENTICATION_REQUIRED"):
    """Connecting a provider needs a sign-in within the last 10 minutes."""


class OAuthIdentityInUse(OAuthError, code="OAUTH_IDENTITY_IN_USE"):
    """This provider identity is already connected to another account."""


# Every way a flow fails: what the SPA's callback page can get as `?error=`.
FLOW_ERRORS: tuple[type[OAuthError], ...] = (
    OAuthProviderUnknown,
    OAuthInvalidRequest,
    OAuthStateInvalid,
    OAuthAccessDenied,
    OAuthProviderError,
    OAuthIdTokenInvalid,
    OAuthEmailMissing,
    OAuthEmailNotVerified,
    OAuthAccountExists,
    OAuthUserInactive,
    OAuthReauthenticationRequired,
    OAuthIdentityInUse,
)


class OAuthAccountNotFound(NotFound, code="OAUTH_ACCOUNT_NOT_FOUND"):
    """No such identity of yours."""


class LastLoginMethod(Conflict, code="LAST_LOGIN_METHOD"):
    """The account would be left with no password and no other identity: set a
    password (forgot-password) or connect another provider first."""
