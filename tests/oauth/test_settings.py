"""Social-login settings: a half-configured provider is refused, by name."""

from typing import Any

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.oauth.providers import build_providers

STRONG = {
    "SECRET_KEY": "k" * 48,
    "RESET_PASSWORD_SECRET_KEY": "r" * 48,
    "VERIFICATION_SECRET_KEY": "v" * 48,
    "MFA_ENCRYPTION_KEY": "m" * 48,
}
OIDC = {
    "OAUTH_OIDC_NAME": "keycloak",
    "OAUTH_OIDC_DISCOVERY_URL": "https://sso.example.com/.well-known/openid-configuration",
    "OAUTH_OIDC_CLIENT_ID": "gatehouse",
    "OAUTH_OIDC_CLIENT_SECRET": "s3cret",
}


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, ENVIRONMENT="test", **{**STRONG, **values})


def test_no_provider_is_enabled_by_default() -> None:
    assert len(build_providers(settings())) == 0


def test_each_provider_is_enabled_by_its_client_id_and_secret() -> None:
    configured = settings(
        OAUTH_GOOGLE_CLIENT_ID="g",
        OAUTH_GOOGLE_CLIENT_SECRET="gs",
        OAUTH_GITHUB_CLIENT_ID="h",
        OAUTH_GITHUB_CLIENT_SECRET="hs",
        **OIDC,
    )

    providers = [(p.slug, p.display_name) for p in build_providers(configured)]

    assert providers == [
        ("google", "Google"),
        ("github", "GitHub"),
        ("keycloak", "Keycloak"),
    ]


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"OAUTH_GOOGLE_CLIENT_ID": "g"}, "OAUTH_GOOGLE_CLIENT_SECRET"),
        ({"OAUTH_GITHUB_CLIENT_SECRET": "s"}, "OAUTH_GITHUB_CLIENT_ID"),
        ({**OIDC, "OAUTH_OIDC_DISCOVERY_URL": ""}, "OAUTH_OIDC_DISCOVERY_URL"),
        ({**OIDC, "OAUTH_OIDC_NAME": ""}, "OAUTH_OIDC_NAME"),
        ({**OIDC, "OAUTH_OIDC_NAME": "Key Cloak"}, "OAUTH_OIDC_NAME"),
        ({**OIDC, "OAUTH_OIDC_NAME": "google"}, "OAUTH_OIDC_NAME"),
        ({**OIDC, "OAUTH_OIDC_SCOPES": "email profile"}, "OAUTH_OIDC_SCOPES"),
        ({**OIDC, "OAUTH_OIDC_DISCOVERY_URL": "sso.example.com"}, "DISCOVERY_URL"),
        ({"OAUTH_CALLBACK_PATH": "//evil.example"}, "OAUTH_CALLBACK_PATH"),
        ({"RATE_LIMIT_OAUTH_PER_IP": "often"}, "RATE_LIMIT_OAUTH_PER_IP"),
    ],
)
def test_a_half_configured_provider_is_refused(
    values: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        settings(**values)


def test_production_needs_an_https_discovery_url() -> None:
    http = {**OIDC, "OAUTH_OIDC_DISCOVERY_URL": "http://sso.internal/.well-known/x"}

    with pytest.raises(ValidationError, match="must be https"):
        Settings(
            _env_file=None,
            ENVIRONMENT="production",
            DATABASE_URL="postgresql://u:p@db/app",
            **{**STRONG, **http},
        )


def test_building_the_providers_fetches_nothing() -> None:
    """Discovery is lazy: an app whose provider is down still starts."""
    down = {**OIDC, "OAUTH_OIDC_DISCOVERY_URL": "http://127.0.0.1:9/.well-known/x"}

    [provider] = build_providers(settings(**down))

    assert provider.slug == "keycloak"
