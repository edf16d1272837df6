"""What every management command shares: exit codes, settings, error messages."""

import sys

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.core.config import Settings, get_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def load_settings() -> Settings | None:
    """The settings, or None after explaining on stderr why they are invalid."""
    try:
        return get_settings()
    except ValidationError as exc:
        sys.stderr.write(f"Error: invalid settings: {exc}\n")
        return None


def database_label(settings: Settings) -> str:
    """The database URL with its password hidden, for messages."""
    return make_url(settings.DATABASE_URL).render_as_string(hide_password=True)


def report_failure(action: str, settings: Settings, exc: BaseException) -> int:
    sys.stderr.write(
        f"Error: could not {action} in {database_label(settings)}: "
        f"{type(exc).__name__}: {exc}\n"
    )
    return EXIT_FAILED
