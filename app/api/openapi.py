"""OpenAPI details shared by the app and the generated client: operation ids, and
the schema snapshot the SPA's client is generated from.

    uv run python -m app.api.openapi frontend/openapi.json
"""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute
from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from app.core.config import Settings

# fastapi-users names its routes "router:route" ("auth:jwt.login"); the client
# generated from the schema gets these names instead.
FASTAPI_USERS_ROUTE_NAMES = {
    "auth:jwt.login": "login",
    "register:register": "register",
    "verify:request-token": "request_verify_token",
    "verify:verify": "verify",
    "reset:forgot_password": "forgot_password",
    "reset:reset_password": "reset_password",
}


def operation_id(route: APIRoute) -> str:
    """`{tag}_{route name}`, e.g. `users_read_me`: stable, readable and unique.

    A generated client names its functions after these (`usersReadMe`), so they
    change only when a route is renamed, never when its path or method does.
    """
    name = FASTAPI_USERS_ROUTE_NAMES.get(route.name, route.name)
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}_{name}".replace("-", "_")


class SnapshotSettings(Settings):
    """Development settings from the code's defaults alone: neither the
    environment nor `.env` can change the committed schema."""

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
    # Fixed secrets and an in-memory database: nothing read from or written to
    # the machine (the default SQLite path is absolute).
    placeholder = SecretStr("openapi-snapshot-" + "x" * 32)
    return SnapshotSettings(
        ENVIRONMENT="development",
        DATABASE_URL="sqlite+aiosqlite://",
        SECRET_KEY=placeholder,
        RESET_PASSWORD_SECRET_KEY=placeholder,
        VERIFICATION_SECRET_KEY=placeholder,
        OUTBOX_WORKER_ENABLED=False,
    )


def snapshot_schema() -> dict[str, Any]:
    """The app's OpenAPI schema as the committed snapshot holds it."""
    from app.main import create_app  # app.main imports this module

    schema: dict[str, Any] = create_app(snapshot_settings()).openapi()
    return schema


def render_schema(schema: dict[str, Any]) -> str:
    """Deterministic text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m app.api.openapi",
        description="Write the app's OpenAPI schema (the SPA client's source).",
    )
    parser.add_argument("output", type=Path, help="e.g. frontend/openapi.json")
    arguments = parser.parse_args(argv)
    arguments.output.write_text(render_schema(snapshot_schema()), encoding="utf-8")


if __name__ == "__main__":
    main()
