"""Application settings, read from the environment (and `.env`) by pydantic-settings."""

import json
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import EmailStr, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Local state for zero-config development: the SQLite file and generated secrets.
LOCAL_STATE_DIR = PROJECT_ROOT / ".gatehouse"
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{LOCAL_STATE_DIR / 'gatehouse.db'}"

SECRET_NAMES = ("SECRET_KEY", "RESET_PASSWORD_SECRET_KEY", "VERIFICATION_SECRET_KEY")
MIN_SECRET_LENGTH = 32
PLACEHOLDER_SECRETS = frozenset(
    {"changethis", "changeme", "secret", "change-me", "please-change-me", "dev"}
)

Environment = Literal["development", "production", "test"]


def normalize_database_url(url: str) -> str:
    """Accept the URL forms hosting providers hand out and use the async drivers.

    `postgres://` and `postgresql://` become `postgresql+asyncpg://` (asyncpg spells
    libpq's `sslmode` as `ssl`); `sqlite://` becomes `sqlite+aiosqlite://`.
    """
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if scheme not in {
        "postgres",
        "postgresql",
        "postgresql+psycopg",
        "postgresql+psycopg2",
    }:
        return url
    parts = urlsplit(f"postgresql+asyncpg://{rest}")
    query = parts.query
    if "sslmode" in query:
        pairs = [("ssl" if k == "sslmode" else k, v) for k, v in parse_qsl(query)]
        query = urlencode(pairs)
    return urlunsplit(parts._replace(query=query))


def _split_origins(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Every setting has a development default; production refuses unsafe ones."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    PROJECT_NAME: str = "Gatehouse"
    ENVIRONMENT: Environment = "development"
    LOG_LEVEL: str = "INFO"

    DATABASE_URL: str = DEFAULT_SQLITE_URL
    TEST_DATABASE_URL: str | None = None
    ALLOW_SQLITE_IN_PRODUCTION: bool = False
    DATABASE_POOL_SIZE: int = Field(default=10, ge=1)
    DATABASE_MAX_OVERFLOW: int = Field(default=10, ge=0)
    DATABASE_POOL_TIMEOUT: float = Field(default=5.0, gt=0)
    DATABASE_POOL_RECYCLE_SECONDS: int = 1800
    DATABASE_ECHO: bool = False
    SQLITE_BUSY_TIMEOUT_MS: int = Field(default=5000, ge=0)

    SECRET_KEY: SecretStr | None = None
    RESET_PASSWORD_SECRET_KEY: SecretStr | None = None
    VERIFICATION_SECRET_KEY: SecretStr | None = None
    ACCESS_TOKEN_EXPIRE_SECONDS: int = Field(default=900, gt=0)
    RESET_PASSWORD_TOKEN_EXPIRE_SECONDS: int = Field(default=3600, gt=0)
    VERIFICATION_TOKEN_EXPIRE_SECONDS: int = Field(default=86400, gt=0)

    # Argon2id cost; the defaults are OWASP's baseline (19 MiB, 2 passes, 1 lane).
    ARGON2_MEMORY_COST_KIB: int = Field(default=19456, ge=8)
    ARGON2_TIME_COST: int = Field(default=2, ge=1)
    ARGON2_PARALLELISM: int = Field(default=1, ge=1)

    FRONTEND_URL: str = "http://localhost:5173"
    VERIFY_EMAIL_PATH: str = "/verify-email"
    RESET_PASSWORD_PATH: str = "/reset-password"
    CORS_ORIGINS: Annotated[list[str], NoDecode] = Field(default_factory=list)

    FIRST_SUPERUSER_EMAIL: EmailStr | None = None
    FIRST_SUPERUSER_PASSWORD: SecretStr | None = None

    # Named as fastapi-mail's ConnectionConfig names them. No MAIL_SERVER: log emails.
    MAIL_SERVER: str = ""
    MAIL_PORT: int = 587
    MAIL_USERNAME: str = ""
    MAIL_PASSWORD: SecretStr = SecretStr("")
    MAIL_FROM: EmailStr = "noreply@example.com"
    MAIL_FROM_NAME: str = "Gatehouse"
    MAIL_STARTTLS: bool = True
    MAIL_SSL_TLS: bool = False
    MAIL_USE_CREDENTIALS: bool | None = None
    MAIL_VALIDATE_CERTS: bool = True
    MAIL_TIMEOUT: int = Field(default=10, gt=0)

    @field_validator("DATABASE_URL", "TEST_DATABASE_URL")
    @classmethod
    def _normalize_database_url(cls, value: str | None) -> str | None:
        return normalize_database_url(value) if value else value

    @field_validator("CORS_ORIGINS", mode="before")
    @classmethod
    def _parse_origins(cls, value: Any) -> Any:
        return _split_origins(value)

    @field_validator("FRONTEND_URL")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _derive_and_check(self) -> "Settings":
        if not self.CORS_ORIGINS:
            self.CORS_ORIGINS = [self.FRONTEND_URL]
        if self.ENVIRONMENT == "production":
            self._check_production()
        else:
            self._fill_development_secrets()
        return self

    def _check_production(self) -> None:
        for name in SECRET_NAMES:
            value: SecretStr | None = getattr(self, name)
            if value is None or not value.get_secret_value():
                raise ValueError(f"{name} must be set when ENVIRONMENT=production")
            secret = value.get_secret_value()
            if len(secret) < MIN_SECRET_LENGTH or secret.lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"{name} is too weak: use at least {MIN_SECRET_LENGTH} random "
                    "characters, e.g. `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`"
                )
        if self.is_sqlite and not self.ALLOW_SQLITE_IN_PRODUCTION:
            raise ValueError(
                "DATABASE_URL points at SQLite while ENVIRONMENT=production; use "
                "PostgreSQL or set ALLOW_SQLITE_IN_PRODUCTION=true deliberately"
            )

    def _fill_development_secrets(self) -> None:
        missing = [name for name in SECRET_NAMES if getattr(self, name) is None]
        if not missing:
            return
        stored = load_or_create_local_secrets()
        for name in missing:
            setattr(self, name, SecretStr(stored[name]))

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT == "production"

    def secret(self, name: str) -> str:
        value: SecretStr | None = getattr(self, name)
        assert value is not None, f"{name} is filled in by validation"
        return value.get_secret_value()

    def frontend_link(self, path: str, token: str) -> str:
        return f"{self.FRONTEND_URL}{path}?{urlencode({'token': token})}"


def load_or_create_local_secrets() -> dict[str, str]:
    """Development secrets, generated once and kept so tokens survive a restart."""
    path = LOCAL_STATE_DIR / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    if all(name in stored for name in SECRET_NAMES):
        return stored
    for name in SECRET_NAMES:
        stored.setdefault(name, secrets.token_urlsafe(48))
    LOCAL_STATE_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2))
    path.chmod(0o600)
    return stored


@lru_cache
def get_settings() -> Settings:
    return Settings()
