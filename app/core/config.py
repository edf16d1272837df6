"""Application settings, read from the environment (and `.env`) by pydantic-settings.

`Settings` gathers the groups in app/core/settings/ (one module per concern);
add a setting to its group, and document it in `.env.example` and the README.
"""

from functools import lru_cache

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from app.core.settings.base import API_PREFIX, LOCAL_STATE_DIR, PROJECT_ROOT
from app.core.settings.database import (
    DEFAULT_SQLITE_URL,
    DatabaseSettings,
    normalize_database_url,
)
from app.core.settings.mail import MailSettings
from app.core.settings.oauth import OAuthSettings
from app.core.settings.processes import ProcessSettings
from app.core.settings.secrets import (
    MIN_SECRET_LENGTH,
    SECRET_NAMES,
    SecretSettings,
    development_secrets_in_use,
    development_secrets_path,
    load_or_create_local_secrets,
)
from app.core.settings.web import WebSettings

__all__ = [
    "API_PREFIX",
    "DEFAULT_SQLITE_URL",
    "LOCAL_STATE_DIR",
    "MIN_SECRET_LENGTH",
    "PROJECT_ROOT",
    "SECRET_NAMES",
    "Settings",
    "development_secrets_in_use",
    "development_secrets_path",
    "get_settings",
    "load_or_create_local_secrets",
    "normalize_database_url",
]


# Fields are validated base first: SettingsBase (ENVIRONMENT), then the groups
# from the last listed to the first.
class Settings(
    ProcessSettings,
    OAuthSettings,
    MailSettings,
    SecretSettings,
    DatabaseSettings,
    WebSettings,
):
    """Every setting has a development default; production refuses unsafe ones."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    @model_validator(mode="after")
    def _derive_and_check(self) -> "Settings":
        self.check_oauth_providers()
        if not self.CORS_ORIGINS:
            self.CORS_ORIGINS = [self.FRONTEND_URL]
        if not self.is_production:
            self.fill_development_secrets()
        return self

    def scale_out_warning(self) -> str | None:
        """Why this configuration is unsafe with more than one process, if it is."""
        if self.is_production and self.WEB_CONCURRENCY > 1 and not self.REDIS_URL:
            return (
                f"WEB_CONCURRENCY={self.WEB_CONCURRENCY} without REDIS_URL: rate "
                "limits and the /stats cache are per process, so each worker (and "
                "instance) grants its own budget; set REDIS_URL, or run one process"
            )
        return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
