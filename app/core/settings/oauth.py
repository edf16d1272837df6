"""Social login: the providers, each enabled when its client id and secret are set."""

import re

from pydantic import Field, SecretStr, field_validator

from app.core.settings.base import SettingsBase

# The providers with fixed endpoints; OAUTH_OIDC_NAME may not take their slugs.
BUILT_IN_OAUTH_PROVIDERS = frozenset({"google", "github"})


class OAuthSettings(SettingsBase):
    # Where social login lands in the SPA: ?next=/path on success, ?error=CODE not.
    OAUTH_CALLBACK_PATH: str = "/auth/callback"
    # See the README, "Social login".
    OAUTH_GOOGLE_CLIENT_ID: str = ""
    OAUTH_GOOGLE_CLIENT_SECRET: SecretStr = SecretStr("")
    OAUTH_GITHUB_CLIENT_ID: str = ""
    OAUTH_GITHUB_CLIENT_SECRET: SecretStr = SecretStr("")
    # One OpenID Connect provider by discovery (Keycloak, Okta, Entra ID, Auth0):
    # OAUTH_OIDC_NAME is its slug in URLs, e.g. "keycloak".
    OAUTH_OIDC_NAME: str = ""
    OAUTH_OIDC_DISPLAY_NAME: str = ""
    OAUTH_OIDC_DISCOVERY_URL: str = ""
    OAUTH_OIDC_CLIENT_ID: str = ""
    OAUTH_OIDC_CLIENT_SECRET: SecretStr = SecretStr("")
    OAUTH_OIDC_SCOPES: str = "openid email profile"
    # Every call to a provider (discovery, keys, token, profile) gives up after this.
    OAUTH_HTTP_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)

    @field_validator("OAUTH_CALLBACK_PATH")
    @classmethod
    def _check_callback_path(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//"):
            raise ValueError("must be a path on the SPA, such as /auth/callback")
        return value

    @field_validator("OAUTH_OIDC_NAME")
    @classmethod
    def _check_oidc_slug(cls, value: str) -> str:
        if value and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", value):
            raise ValueError(
                "must be a slug for URLs: lower-case letters, digits and '-' "
                "(at most 32), such as keycloak"
            )
        if value in BUILT_IN_OAUTH_PROVIDERS:
            raise ValueError(f"{value!r} is a built-in provider; choose another slug")
        return value

    @field_validator("OAUTH_OIDC_SCOPES")
    @classmethod
    def _require_openid_scope(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("must include openid (the ID token proves who signed in)")
        return value

    def check_oauth_providers(self) -> None:
        """A half-configured provider is a mistake to report, not to ignore."""
        problems: list[str] = []
        for prefix in ("OAUTH_GOOGLE", "OAUTH_GITHUB", "OAUTH_OIDC"):
            client_id = getattr(self, f"{prefix}_CLIENT_ID")
            secret = getattr(self, f"{prefix}_CLIENT_SECRET").get_secret_value()
            if bool(client_id) != bool(secret):
                missing = (
                    f"{prefix}_CLIENT_SECRET" if client_id else f"{prefix}_CLIENT_ID"
                )
                problems.append(f"{missing}: must be set with the other one")
        oidc = {
            "OAUTH_OIDC_NAME": self.OAUTH_OIDC_NAME,
            "OAUTH_OIDC_DISCOVERY_URL": self.OAUTH_OIDC_DISCOVERY_URL,
            "OAUTH_OIDC_CLIENT_ID": self.OAUTH_OIDC_CLIENT_ID,
        }
        if any(oidc.values()):
            problems.extend(
                f"{name}: must be set to use an OpenID Connect provider"
                for name, value in oidc.items()
                if not value
            )
        url = self.OAUTH_OIDC_DISCOVERY_URL
        if url and not url.startswith(("https://", "http://")):
            problems.append("OAUTH_OIDC_DISCOVERY_URL: must be an http(s) URL")
        if self.is_production and url and not url.startswith("https://"):
            problems.append(
                "OAUTH_OIDC_DISCOVERY_URL: must be https when ENVIRONMENT=production"
            )
        if problems:
            raise ValueError("; ".join(problems))
