"""Application settings, read from the environment (and `.env`) by pydantic-settings."""

import json
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
    # Prepended to every Redis key (rate limits, the /stats cache): instances of
    # one deployment share it; deployments sharing a Redis need different ones.
    REDIS_KEY_PREFIX: str = Field(default="gatehouse", min_length=1)
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

    # Declared before DATABASE_URL, whose check reads it.
    ALLOW_SQLITE_IN_PRODUCTION: bool = False
    DATABASE_URL: str = Field(default=DEFAULT_SQLITE_URL, validate_default=True)
    # Migrations connect here when set: straight to PostgreSQL when DATABASE_URL
    # goes through PgBouncer (their advisory lock needs a session of its own).
    MIGRATIONS_DATABASE_URL: str | None = None
    TEST_DATABASE_URL: str | None = None
    # pgbouncer: DATABASE_URL goes through PgBouncer in transaction mode. Then no
    # statement is prepared under a reused name, nothing relies on session state,
    # and GET requests share the one (transactional) pool: see app/db/session.py.
    DATABASE_POOLER: Literal["none", "pgbouncer"] = "none"
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

    # Processes: `python -m app.serve` starts WEB_CONCURRENCY uvicorn workers.
    # More than one process needs REDIS_URL (shared rate limits and caches).
    WEB_CONCURRENCY: int = Field(default=1, ge=1)
    # On SIGTERM: /health/ready answers 503 at once, requests are still served for
    # SHUTDOWN_DRAIN_SECONDS (the load balancer notices), then the server stops
    # accepting and waits at most SHUTDOWN_TIMEOUT_SECONDS for in-flight requests.
    SHUTDOWN_DRAIN_SECONDS: float = Field(default=0, ge=0)
    SHUTDOWN_TIMEOUT_SECONDS: int = Field(default=30, gt=0)

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
    # Emails claimed at once by a worker; their lease is MAIL_TIMEOUT per email
    # plus OUTBOX_LEASE_MARGIN_SECONDS, after which another worker may send them.
    OUTBOX_BATCH_SIZE: int = Field(default=20, ge=1)
    OUTBOX_LEASE_MARGIN_SECONDS: float = Field(default=30, ge=0)

    # Housekeeping by `python -m commands.worker` (every PURGE_INTERVAL_SECONDS):
    # expired refresh tokens, and sent or failed emails and audit events older
    # than their retention in days (0: keep them forever).
    PURGE_INTERVAL_SECONDS: float = Field(default=3600, gt=0)
    OUTBOX_RETENTION_DAYS: int = Field(default=30, ge=0)
    AUDIT_RETENTION_DAYS: int = Field(default=365, ge=0)

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

    @field_validator("FRONTEND_URL")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _derive_and_check(self) -> "Settings":
        if not self.CORS_ORIGINS:
            self.CORS_ORIGINS = [self.FRONTEND_URL]
        if not self.is_production:
            self._fill_development_secrets()
        return self

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
    def behind_pgbouncer(self) -> bool:
        return self.DATABASE_POOLER == "pgbouncer"

    def scale_out_warning(self) -> str | None:
        """Why this configuration is unsafe with more than one process, if it is."""
        if self.is_production and self.WEB_CONCURRENCY > 1 and not self.REDIS_URL:
            return (
                f"WEB_CONCURRENCY={self.WEB_CONCURRENCY} without REDIS_URL: rate "
                "limits and the /stats cache are per process, so each worker (and "
                "instance) grants its own budget; set REDIS_URL, or run one process"
            )
        return None

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
