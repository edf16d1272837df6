"""What every group of settings builds on: the project's places and its environment."""

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationInfo
from pydantic_settings import BaseSettings

PROJECT_ROOT = Path(__file__).resolve().parents[3]
# Every API route is under this prefix (the health probes and docs are not).
API_PREFIX = "/api/v1"
# Local state for zero-config development: the SQLite file and generated secrets.
LOCAL_STATE_DIR = PROJECT_ROOT / ".gatehouse"

Environment = Literal["development", "production", "test"]


class SettingsBase(BaseSettings):
    """Declared first (a base of every group), so the production checks of the
    groups find ENVIRONMENT validated already."""

    PROJECT_NAME: str = "Gatehouse"
    ENVIRONMENT: Environment = "development"
    LOG_LEVEL: str = "INFO"
    # auto: JSON lines in production, readable text elsewhere.
    LOG_FORMAT: Literal["auto", "json", "text"] = "auto"

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT == "production"


def is_production(info: ValidationInfo) -> bool:
    """In a field validator: whether ENVIRONMENT (validated before) is production."""
    return info.data.get("ENVIRONMENT") == "production"


def split_list(value: Any) -> Any:
    """A list from the environment: a JSON array, or comma-separated items."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value
