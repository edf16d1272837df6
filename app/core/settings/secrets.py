"""Secrets and what they protect: token keys, the MFA key, lifetimes, the refresh
cookie, password hashing. Development generates the secrets once, in a file."""

import json
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import NoDecode

from app.core.settings import base
from app.core.settings.base import SettingsBase, is_production, split_list

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


class SecretSettings(SettingsBase):
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

    @field_validator(*SECRET_NAMES)
    @classmethod
    def _require_strong_secret_in_production(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if not is_production(info):
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
        return split_list(value)

    @field_validator("MFA_ENCRYPTION_OLD_KEYS")
    @classmethod
    def _refuse_weak_old_keys(
        cls, value: list[SecretStr], info: ValidationInfo
    ) -> list[SecretStr]:
        if is_production(info) and any(
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
        if is_production(info) and not value:
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

    def fill_development_secrets(self) -> None:
        """Unset secrets from the development secrets file (made on first use)."""
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

    def secret(self, name: str) -> str:
        value: SecretStr | None = getattr(self, name)
        assert value is not None, f"{name} is filled in by validation"
        return value.get_secret_value()


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
    # Read at call time: tests move the state directory.
    return base.LOCAL_STATE_DIR / "secrets.json"


def development_secrets_in_use(settings: SecretSettings) -> Path | None:
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
