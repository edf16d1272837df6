"""Settings: URL normalisation, development defaults, production refusals."""

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.core.config import PROJECT_ROOT, SECRET_NAMES, Settings
from app.core.settings import base as config

STRONG = {
    "SECRET_KEY": "k" * 48,
    "RESET_PASSWORD_SECRET_KEY": "r" * 48,
    "VERIFICATION_SECRET_KEY": "v" * 48,
    "MFA_ENCRYPTION_KEY": "m" * 48,
}
POSTGRES_URL = "postgresql://app:pw@db.internal:5432/gatehouse"


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment, and development secrets stored under tmp_path."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    directory = tmp_path / "state"
    monkeypatch.setattr(config, "LOCAL_STATE_DIR", directory)
    return directory


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def production(**values: Any) -> Settings:
    return settings(ENVIRONMENT="production", **{**STRONG, **values})


# --- database URLs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://u:p@db:5432/app",
            "postgresql+asyncpg://u:p@db:5432/app",
        ),
        (
            "postgresql://u:p@db:5432/app",
            "postgresql+asyncpg://u:p@db:5432/app",
        ),
        (
            "postgresql://u:p@db/app?sslmode=require",
            "postgresql+asyncpg://u:p@db/app?ssl=require",
        ),
        (
            "postgres://u:p@db/app?application_name=gh&sslmode=verify-full",
            "postgresql+asyncpg://u:p@db/app?application_name=gh&ssl=verify-full",
        ),
        (
            "postgresql+psycopg://u:p@db/app",
            "postgresql+asyncpg://u:p@db/app",
        ),
        (
            "postgresql+asyncpg://u:p@db/app",
            "postgresql+asyncpg://u:p@db/app",
        ),
        (
            "postgresql+asyncpg://u:p@db/app?sslmode=require",
            "postgresql+asyncpg://u:p@db/app?ssl=require",
        ),
        ("sqlite:///./local.db", "sqlite+aiosqlite:///./local.db"),
        ("sqlite+aiosqlite:///./local.db", "sqlite+aiosqlite:///./local.db"),
    ],
)
def test_database_urls_are_normalised_to_async_drivers(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    monkeypatch.setenv("TEST_DATABASE_URL", given)

    loaded = settings()

    assert loaded.DATABASE_URL == expected
    assert loaded.TEST_DATABASE_URL == expected
    assert settings(DATABASE_URL=given).DATABASE_URL == expected


# --- development defaults --------------------------------------------------


def test_defaults_work_without_any_configuration(state_dir: Path) -> None:
    loaded = settings()

    assert loaded.ENVIRONMENT == "development"
    assert loaded.is_sqlite
    assert loaded.DATABASE_URL.startswith("sqlite+aiosqlite:///")
    database = Path(loaded.DATABASE_URL.removeprefix("sqlite+aiosqlite:///"))
    assert database.is_relative_to(PROJECT_ROOT)
    assert loaded.FRONTEND_URL == "http://localhost:5173"
    assert loaded.CORS_ORIGINS == ["http://localhost:5173"]
    assert loaded.MAIL_SERVER == ""
    for name in SECRET_NAMES:
        assert len(loaded.secret(name)) >= 32


def test_cors_origins_default_to_the_frontend_url(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTEND_URL", "https://app.example.com/")

    loaded = settings()

    assert loaded.FRONTEND_URL == "https://app.example.com"
    assert loaded.CORS_ORIGINS == ["https://app.example.com"]


@pytest.mark.parametrize(
    "value",
    [
        "https://a.example.com, https://b.example.com",
        "https://a.example.com,https://b.example.com,",
        '["https://a.example.com", "https://b.example.com"]',
    ],
    ids=["comma-space", "trailing-comma", "json"],
)
def test_cors_origins_are_parsed_from_the_environment(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", value)

    loaded = settings()

    assert loaded.CORS_ORIGINS == ["https://a.example.com", "https://b.example.com"]


def test_empty_cors_origins_fall_back_to_the_frontend_url(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "")

    assert settings().CORS_ORIGINS == ["http://localhost:5173"]


def test_development_secrets_are_generated_once_and_kept(state_dir: Path) -> None:
    first = settings()
    second = settings()

    for name in SECRET_NAMES:
        assert first.secret(name) == second.secret(name)
    assert len({first.secret(name) for name in SECRET_NAMES}) == len(SECRET_NAMES)
    stored_file = state_dir / "secrets.json"
    stored = json.loads(stored_file.read_text())
    assert stored == {name: first.secret(name) for name in SECRET_NAMES}
    assert stat.S_IMODE(stored_file.stat().st_mode) == 0o600


def test_a_configured_secret_wins_over_the_generated_one(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generated = settings()
    monkeypatch.setenv("SECRET_KEY", "configured-" + "x" * 40)

    configured = settings()

    assert configured.secret("SECRET_KEY") == "configured-" + "x" * 40
    assert configured.secret("VERIFICATION_SECRET_KEY") == generated.secret(
        "VERIFICATION_SECRET_KEY"
    )


def test_different_state_directories_get_different_secrets(
    tmp_path: Path, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = settings().secret("SECRET_KEY")
    monkeypatch.setattr(config, "LOCAL_STATE_DIR", tmp_path / "elsewhere")

    assert settings().secret("SECRET_KEY") != first


# --- production ------------------------------------------------------------


def test_production_with_strong_secrets_and_postgres_is_accepted(
    state_dir: Path,
) -> None:
    loaded = production(DATABASE_URL=POSTGRES_URL)

    assert loaded.is_production
    assert loaded.DATABASE_URL.startswith("postgresql+asyncpg://")
    assert loaded.secret("SECRET_KEY") == STRONG["SECRET_KEY"]
    # Production never generates or reads development secrets.
    assert not state_dir.exists()


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_production_refuses_a_missing_secret(state_dir: Path, name: str) -> None:
    settings()  # a stored development secret must not be used as a fallback
    values = {key: value for key, value in STRONG.items() if key != name}

    with pytest.raises(ValidationError, match=name):
        settings(ENVIRONMENT="production", DATABASE_URL=POSTGRES_URL, **values)


@pytest.mark.parametrize("name", SECRET_NAMES)
@pytest.mark.parametrize(
    "weak", ["", "short-secret", "changethis", "x" * 31], ids=str.__len__
)
def test_production_refuses_a_weak_secret(
    state_dir: Path, name: str, weak: str
) -> None:
    with pytest.raises(ValidationError, match=name):
        production(DATABASE_URL=POSTGRES_URL, **{name: weak})


def test_production_refuses_weak_secrets_from_the_environment(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    for name, value in STRONG.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RESET_PASSWORD_SECRET_KEY", "changeme")

    with pytest.raises(ValidationError, match="RESET_PASSWORD_SECRET_KEY"):
        settings()


def test_production_refuses_sqlite_unless_allowed(state_dir: Path) -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL") as refused:
        production(DATABASE_URL="sqlite:///./prod.db")
    assert "ALLOW_SQLITE_IN_PRODUCTION" in str(refused.value)

    with pytest.raises(ValidationError, match="DATABASE_URL"):
        production()  # the default is SQLite too

    allowed = production(
        DATABASE_URL="sqlite:///./prod.db", ALLOW_SQLITE_IN_PRODUCTION=True
    )
    assert allowed.is_sqlite


def test_old_mfa_keys_are_a_comma_separated_list(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFA_ENCRYPTION_OLD_KEYS", f"{'a' * 40}, {'b' * 40}")

    loaded = settings()

    keys = [key.get_secret_value() for key in loaded.MFA_ENCRYPTION_OLD_KEYS]
    assert keys == ["a" * 40, "b" * 40]


def test_production_refuses_a_weak_old_mfa_key(state_dir: Path) -> None:
    with pytest.raises(ValidationError, match="MFA_ENCRYPTION_OLD_KEYS"):
        production(DATABASE_URL=POSTGRES_URL, MFA_ENCRYPTION_OLD_KEYS="short")
