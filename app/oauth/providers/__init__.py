"""The enabled providers, built from the settings, and every call made to them.

`base` holds the `Provider` protocol and the HTTP plumbing, `openid` OpenID
Connect (discovery, ID tokens; Google and the generic provider), `github`
GitHub's OAuth 2 and emails API.
"""

from httpx_oauth.clients.google import (
    ACCESS_TOKEN_ENDPOINT as GOOGLE_TOKEN_ENDPOINT,
)
from httpx_oauth.clients.google import (
    AUTHORIZE_ENDPOINT as GOOGLE_AUTHORIZE_ENDPOINT,
)

from app.core.config import Settings
from app.oauth.providers.base import PROVIDER_FAILURES, Provider, Providers
from app.oauth.providers.github import GITHUB_SCOPES, GitHubProvider
from app.oauth.providers.openid import OIDC_SCOPES, OpenIDMetadata, OpenIDProvider

__all__ = [
    "GITHUB_SCOPES",
    "GOOGLE_AUTHORIZE_ENDPOINT",
    "GOOGLE_ISSUERS",
    "GOOGLE_JWKS_URI",
    "GOOGLE_TOKEN_ENDPOINT",
    "GOOGLE_USERINFO_ENDPOINT",
    "OIDC_SCOPES",
    "PROVIDER_FAILURES",
    "GitHubProvider",
    "OpenIDMetadata",
    "OpenIDProvider",
    "Provider",
    "Providers",
    "build_providers",
]

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
GOOGLE_JWKS_URI = "https://www.googleapis.com/oauth2/v3/certs"
GOOGLE_USERINFO_ENDPOINT = "https://openidconnect.googleapis.com/v1/userinfo"


def build_providers(settings: Settings) -> Providers:
    """The providers whose client id and secret are set. Nothing is fetched."""
    timeout = settings.OAUTH_HTTP_TIMEOUT_SECONDS
    enabled: list[Provider] = []
    if settings.OAUTH_GOOGLE_CLIENT_ID:
        enabled.append(
            OpenIDProvider(
                slug="google",
                display_name="Google",
                client_id=settings.OAUTH_GOOGLE_CLIENT_ID,
                client_secret=settings.OAUTH_GOOGLE_CLIENT_SECRET.get_secret_value(),
                scopes=OIDC_SCOPES,
                timeout=timeout,
                metadata=OpenIDMetadata(
                    issuers=GOOGLE_ISSUERS,
                    authorization_endpoint=GOOGLE_AUTHORIZE_ENDPOINT,
                    token_endpoint=GOOGLE_TOKEN_ENDPOINT,
                    jwks_uri=GOOGLE_JWKS_URI,
                    userinfo_endpoint=GOOGLE_USERINFO_ENDPOINT,
                    token_auth_method="client_secret_post",
                ),
            )
        )
    if settings.OAUTH_GITHUB_CLIENT_ID:
        enabled.append(
            GitHubProvider(
                settings.OAUTH_GITHUB_CLIENT_ID,
                settings.OAUTH_GITHUB_CLIENT_SECRET.get_secret_value(),
                timeout,
            )
        )
    if settings.OAUTH_OIDC_CLIENT_ID:
        slug = settings.OAUTH_OIDC_NAME
        enabled.append(
            OpenIDProvider(
                slug=slug,
                display_name=settings.OAUTH_OIDC_DISPLAY_NAME or slug.capitalize(),
                client_id=settings.OAUTH_OIDC_CLIENT_ID,
                client_secret=settings.OAUTH_OIDC_CLIENT_SECRET.get_secret_value(),
                scopes=settings.OAUTH_OIDC_SCOPES.split(),
                timeout=timeout,
                discovery_url=settings.OAUTH_OIDC_DISCOVERY_URL,
            )
        )
    return Providers(enabled)
