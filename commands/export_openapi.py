"""Write the app's OpenAPI schema: the snapshot the SPA's client is generated from.

    uv run python -m commands.export_openapi frontend/openapi.json

The output depends on the code alone: development settings from their defaults
(neither the environment nor `.env` is read), fixed placeholder secrets and an
in-memory database, so nothing is read from or written to the machine; keys
are sorted, indented by two spaces, with a trailing newline.
"""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from app.core.config import Settings
from app.main import create_app


class SnapshotSettings(Settings):
    """Settings from the code's defaults and the values given, nothing else."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def snapshot_settings() -> Settings:
    # The default SQLite path is absolute, and development would generate
    # secrets into .gatehouse/: neither may reach the schema or the machine.
    placeholder = SecretStr("openapi-snapshot-" + "x" * 32)
    return SnapshotSettings(
        ENVIRONMENT="development",
        DATABASE_URL="sqlite+aiosqlite://",
        SECRET_KEY=placeholder,
        RESET_PASSWORD_SECRET_KEY=placeholder,
        VERIFICATION_SECRET_KEY=placeholder,
        MFA_ENCRYPTION_KEY=placeholder,
        OUTBOX_WORKER_ENABLED=False,
    )


def snapshot_schema() -> dict[str, Any]:
    """The app's OpenAPI schema as the committed snapshot holds it."""
    schema: dict[str, Any] = create_app(snapshot_settings()).openapi()
    return schema


def render_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m commands.export_openapi",
        description="Write the app's OpenAPI schema (the SPA client's source).",
    )
    parser.add_argument("output", type=Path, help="e.g. frontend/openapi.json")
    arguments = parser.parse_args(argv)
    arguments.output.write_text(render_schema(snapshot_schema()), encoding="utf-8")


if __name__ == "__main__":
    main()
