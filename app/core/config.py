"""Application settings, read from the environment (and `.env`) by pydantic-settings."""

import json
import re
import secrets
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from limits import parse
from pydantic import (
    EmailStr,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Every API route is under this prefix (the health probes and docs are not).
API_PREFIX = "/api/v1"
# Local state for zero-config development: the SQLite file and generated secrets.
LOCAL_STATE_DIR = PROJECT_ROOT / ".gatehouse"
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{LOCAL_STATE_DIR / 'gatehouse.db'}"

SECRET_NAMES = (
    "SECRET_KEY",
    "RESET_PASSWORD_SECRET_KEY",
    "VERIFICATION_SECRET_KEY",
    "MFA_ENCRYPTION_KEY",
)
MIN_SECRET_LENGTH = 32
PLACEHOLDER_SECRETS = frozenset(
    {"changethis", "changeme", "secret", "change-me", "please-change-me", "dev"}
)

# The providers with fixed endpoints; OAUTH_OIDC_NAME may not take their slugs.
BUILT_IN_OAUTH_PROVIDERS = frozenset({"google", "github"})

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
        "postgresql+asyncpg",
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
    # auto: JSON lines in production, readable text elsewhere.
    LOG_FORMAT: Literal["auto", "json", "text"] = "auto"

    # Request hardening (pure ASGI middleware, see app/middleware/).
    MAX_BODY_BYTES: int = Field(default=1024 * 1024, ge=1024)
    MAX_HEADER_BYTES: int = Field(default=16 * 1024, ge=1024)
    REQUEST_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    # GET /metrics (Prometheus text). Keep it behind your proxy's access rules.
    METRICS_ENABLED: bool = False

    # Rate limits ("N/period" or "N per M minutes", as the `limits` library reads
    # them). Counters live in Redis when REDIS_URL is set, in memory otherwise.
    REDIS_URL: str | None = None
    RATE_LIMIT_ENABLED: bool = True
    # Proxies whose X-Forwarded-For is believed (IPs or CIDR ranges).
    TRUSTED_PROXIES: Annotated[list[str], NoDecode] = Field(default_factory=list)
    RATE_LIMIT_LOGIN_FAILURES_PER_IP: str = "10/minute"
    RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: str = "5 per 5 minutes"
    RATE_LIMIT_LOGIN_PER_IP: str = "30/minute"
    RATE_LIMIT_REGISTER_PER_IP: str = "20/minute"
    RATE_LIMIT_EMAIL_REQUESTS_PER_IP: str = "20/minute"
    RATE_LIMIT_EMAIL_REQUESTS_PER_ADDRESS: str = "5/minute"
    RATE_LIMIT_PASSWORD_CHANGE_PER_USER: str = "5/minute"
    # Social login: starting a flow and returning from the provider, per IP each.
    RATE_LIMIT_OAUTH_PER_IP: str = "30/minute"

    # Declared before DATABASE_URL, whose check reads it.
    ALLOW_SQLITE_IN_PRODUCTION: bool = False
    DATABASE_URL: str = Field(default=DEFAULT_SQLITE_URL, validate_default=True)
    # Migrations connect here when set: straight to PostgreSQL when DATABASE_URL
    # goes through PgBouncer (their advisory lock needs a session of its own).
    MIGRATIONS_DATABASE_URL: str | None = None
    TEST_DATABASE_URL: str | None = None
    # Connections kept open per pool; on PostgreSQL a worker process has two
    # pools (transactions, and autocommit reads for GET requests). Overflow
    # connections are closed again as soon as they are returned, so under steady
    # load above the pool size they churn: size the pool for the load instead.
    DATABASE_POOL_SIZE: int = Field(default=20, ge=1)
    DATABASE_MAX_OVERFLOW: int = Field(default=0, ge=0)
    DATABASE_POOL_TIMEOUT: float = Field(default=5.0, gt=0)
    DATABASE_POOL_RECYCLE_SECONDS: int = 1800
    DATABASE_ECHO: bool = False
    SQLITE_BUSY_TIMEOUT_MS: int = Field(default=5000, ge=0)

    # GET /api/v1/stats is computed at most once per this many seconds (0: always).
    STATS_CACHE_SECONDS: float = Field(default=60, ge=0)

    # Checked even when unset: production refuses a missing one.
    SECRET_KEY: SecretStr | None = Field(default=None, validate_default=True)
    RESET_PASSWORD_SECRET_KEY: SecretStr | None = Field(
        default=None, validate_default=True
    )
    VERIFICATION_SECRET_KEY: SecretStr | None = Field(
        default=None, validate_default=True
    )
    # Encrypts the TOTP secrets at rest (AES-256-GCM, key derived with HKDF).
    # Rotation: put the old value in MFA_ENCRYPTION_OLD_KEYS; it still decrypts
    # while every new write (and every secret used at sign-in) uses the new one.
    MFA_ENCRYPTION_KEY: SecretStr | None = Field(default=None, validate_default=True)
    MFA_ENCRYPTION_OLD_KEYS: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list
    )
    # A second-factor challenge (after the password, before the session).
    MFA_CHALLENGE_EXPIRE_SECONDS: int = Field(default=300, gt=0, le=3600)
    MFA_CHALLENGE_MAX_ATTEMPTS: int = Field(default=5, ge=1, le=20)
    ACCESS_TOKEN_EXPIRE_SECONDS: int = Field(default=900, gt=0)
    RESET_PASSWORD_TOKEN_EXPIRE_SECONDS: int = Field(default=3600, gt=0)
    VERIFICATION_TOKEN_EXPIRE_SECONDS: int = Field(default=86400, gt=0)

    # Refresh tokens for SPAs: an HttpOnly cookie rotated on every use.
    REFRESH_TOKEN_EXPIRE_DAYS: int = Field(default=30, gt=0, le=365)
    # Only outside production may the cookie travel over plain HTTP.
    REFRESH_COOKIE_SECURE: bool = True
    # lax: the SPA and the API on one site (the default, and the safest). none:
    # different sites; needs REFRESH_COOKIE_SECURE, and third-party-cookie
    # blocking may still refuse it (see the README).
    REFRESH_COOKIE_SAMESITE: Literal["lax", "strict", "none"] = "lax"
    # How long the token just rotated away still yields an access token (two tabs
    # refreshing at once); presenting it later revokes its whole session.
    REFRESH_REUSE_GRACE_SECONDS: int = Field(default=10, ge=0, le=300)

    # Argon2id cost; the defaults are OWASP's baseline (19 MiB, 2 passes, 1 lane).
    ARGON2_MEMORY_COST_KIB: int = Field(default=19456, ge=8)
    ARGON2_TIME_COST: int = Field(default=2, ge=1)
    ARGON2_PARALLELISM: int = Field(default=1, ge=1)
    # Hashes computed at once (each in a worker thread). Unset: one fewer than the
    # CPUs, so hashing never takes every core from the event loop.
    PASSWORD_HASH_THREADS: int | None = Field(default=None, ge=1)

    FRONTEND_URL: str = "http://localhost:5173"
    # The SPA's pages that emails link to.
    VERIFY_EMAIL_PATH: str = "/verify-email"
    RESET_PASSWORD_PATH: str = "/reset-password"
    FORGOT_PASSWORD_PATH: str = "/forgot-password"
    SESSIONS_PATH: str = "/sessions"
    # Where social login lands in the SPA: ?next=/path on success, ?error=CODE not.
    OAUTH_CALLBACK_PATH: str = "/auth/callback"
    # The API's public base URL, as browsers reach it: the OAuth redirect URIs
    # registered at the providers are {API_URL}/api/v1/auth/oauth/{slug}/callback.
    API_URL: str = "http://localhost:8000"
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
    # Where security notifications tell people to write; unset: "reply to this email".
    SUPPORT_EMAIL: EmailStr | None = None
    # A welcome email once an address is verified.
    WELCOME_EMAIL_ENABLED: bool = True
    # "A new sign-in to your account", when the device (user agent and network)
    # has not signed in to that account for NEW_SIGN_IN_LOOKBACK_DAYS.
    NEW_SIGN_IN_EMAIL_ENABLED: bool = True
    NEW_SIGN_IN_LOOKBACK_DAYS: int = Field(default=90, ge=1)
    MAIL_TIMEOUT: int = Field(default=10, gt=0)
    # Delivery from the email outbox: bounded attempts with exponential backoff.
    MAIL_MAX_ATTEMPTS: int = Field(default=5, ge=1)
    MAIL_RETRY_BASE_SECONDS: float = Field(default=30.0, ge=0)
    OUTBOX_WORKER_ENABLED: bool = True
    OUTBOX_POLL_SECONDS: float = Field(default=5.0, gt=0)

    # Social login (see the README, "Social login"): each provider is enabled
    # when its client id and secret are set.
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

    @field_validator("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "TEST_DATABASE_URL")
    @classmethod
    def _normalize_database_url(cls, value: str | None) -> str | None:
        return normalize_database_url(value) if value else value

    # The production checks are field validators, not one model check, so that
    # every problem is reported at once, beside any other invalid field. Fields
    # are validated in declaration order: ENVIRONMENT is already in info.data.

    @field_validator("DATABASE_URL")
    @classmethod
    def _refuse_sqlite_in_production(cls, value: str, info: ValidationInfo) -> str:
        if (
            _is_production(info)
            and value.startswith("sqlite")
            and not info.data.get("ALLOW_SQLITE_IN_PRODUCTION")
        ):
            raise ValueError(
                "points at SQLite while ENVIRONMENT=production; use PostgreSQL "
                "or set ALLOW_SQLITE_IN_PRODUCTION=true deliberately"
            )
        return value

    @field_validator(*SECRET_NAMES)
    @classmethod
    def _require_strong_secret_in_production(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if not _is_production(info):
            return value
        secret = value.get_secret_value() if value is not None else ""
        if not secret:
            raise ValueError("must be set when ENVIRONMENT=production")
        if len(secret) < MIN_SECRET_LENGTH or secret.lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                f"is too weak: use at least {MIN_SECRET_LENGTH} random characters, "
                "e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value

    @field_validator("MFA_ENCRYPTION_OLD_KEYS", mode="before")
    @classmethod
    def _split_old_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("MFA_ENCRYPTION_OLD_KEYS")
    @classmethod
    def _refuse_weak_old_keys(
        cls, value: list[SecretStr], info: ValidationInfo
    ) -> list[SecretStr]:
        if _is_production(info) and any(
            len(key.get_secret_value()) < MIN_SECRET_LENGTH for key in value
        ):
            raise ValueError(
                f"every old key needs at least {MIN_SECRET_LENGTH} characters"
            )
        return value

    @field_validator("REFRESH_COOKIE_SECURE")
    @classmethod
    def _require_secure_cookie_in_production(
        cls, value: bool, info: ValidationInfo
    ) -> bool:
        if _is_production(info) and not value:
            raise ValueError(
                "false is refused when ENVIRONMENT=production: the refresh cookie "
                "must never travel over plain HTTP"
            )
        return value

    @field_validator("REFRESH_COOKIE_SAMESITE")
    @classmethod
    def _none_needs_secure(cls, value: str, info: ValidationInfo) -> str:
        if value == "none" and not info.data.get("REFRESH_COOKIE_SECURE", True):
            raise ValueError(
                "none needs REFRESH_COOKIE_SECURE=true: browsers refuse a "
                "SameSite=None cookie that is not Secure"
            )
        return value

    @field_validator("CORS_ORIGINS", "TRUSTED_PROXIES", mode="before")
    @classmethod
    def _parse_origins(cls, value: Any) -> Any:
        return _split_origins(value)

    @field_validator(
        "RATE_LIMIT_LOGIN_FAILURES_PER_IP",
        "RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT",
        "RATE_LIMIT_LOGIN_PER_IP",
        "RATE_LIMIT_REGISTER_PER_IP",
        "RATE_LIMIT_EMAIL_REQUESTS_PER_IP",
        "RATE_LIMIT_EMAIL_REQUESTS_PER_ADDRESS",
        "RATE_LIMIT_PASSWORD_CHANGE_PER_USER",
        "RATE_LIMIT_OAUTH_PER_IP",
    )
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(
                f"not a rate limit such as '10/minute': {value!r}"
            ) from exc
        return value

    @field_validator("TRUSTED_PROXIES")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ip_network(network, strict=False)
        return value

    @field_validator("CORS_ORIGINS")
    @classmethod
    def _refuse_wildcard_origin(cls, value: list[str]) -> list[str]:
        # With credentials allowed, Starlette answers "*" by echoing any origin:
        # every website could then use the refresh cookie.
        if "*" in value:
            raise ValueError(
                "CORS_ORIGINS must list explicit origins, not '*': credentialed "
                "requests (the refresh cookie) are allowed from these origins"
            )
        return value

    @field_validator("FRONTEND_URL", "API_URL")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

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

    @model_validator(mode="after")
    def _derive_and_check(self) -> "Settings":
        self._check_oauth_providers()
        if not self.CORS_ORIGINS:
            self.CORS_ORIGINS = [self.FRONTEND_URL]
        if not self.is_production:
            self._fill_development_secrets()
        return self

    def _check_oauth_providers(self) -> None:
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

    @property
    def oauth_enabled(self) -> bool:
        return bool(
            self.OAUTH_GOOGLE_CLIENT_ID
            or self.OAUTH_GITHUB_CLIENT_ID
            or self.OAUTH_OIDC_CLIENT_ID
        )

    def _fill_development_secrets(self) -> None:
        missing = [name for name in SECRET_NAMES if getattr(self, name) is None]
        if not missing:
            return
        try:
            stored = load_or_create_local_secrets()
        except (OSError, ValueError) as exc:
            # No field to name: the message names the variables itself.
            raise ValueError(
                f"{', '.join(missing)}: not set, and the development secrets file "
                f"{development_secrets_path()} cannot be used ({_reason(exc)}); set "
                "them, or fix the file"
            ) from exc
        for name in missing:
            setattr(self, name, SecretStr(stored[name]))

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT == "production"

    @property
    def migrations_database_url(self) -> str:
        return self.MIGRATIONS_DATABASE_URL or self.DATABASE_URL

    @property
    def mail_uses_credentials(self) -> bool:
        """MAIL_USE_CREDENTIALS, or when unset: whether a MAIL_USERNAME is given."""
        if self.MAIL_USE_CREDENTIALS is None:
            return bool(self.MAIL_USERNAME)
        return self.MAIL_USE_CREDENTIALS

    def secret(self, name: str) -> str:
        value: SecretStr | None = getattr(self, name)
        assert value is not None, f"{name} is filled in by validation"
        return value.get_secret_value()

    def frontend_url(self, path: str) -> str:
        return f"{self.FRONTEND_URL}{path}"

    def frontend_link(self, path: str, token: str) -> str:
        return f"{self.frontend_url(path)}?{urlencode({'token': token})}"


def _is_production(info: ValidationInfo) -> bool:
    return info.data.get("ENVIRONMENT") == "production"


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def load_or_create_local_secrets() -> dict[str, str]:
    """Development secrets, generated once and kept so tokens survive a restart."""
    path = development_secrets_path()
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    if all(name in stored for name in SECRET_NAMES):
        return stored
    for name in SECRET_NAMES:
        stored.setdefault(name, secrets.token_urlsafe(48))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2))
    path.chmod(0o600)
    return stored


def development_secrets_path() -> Path:
    return LOCAL_STATE_DIR / "secrets.json"


def development_secrets_in_use(settings: Settings) -> Path | None:
    """The development secrets file when `settings` took a secret from it."""
    path = development_secrets_path()
    if settings.is_production or not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if any(stored.get(name) == settings.secret(name) for name in SECRET_NAMES):
        return path
    return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
