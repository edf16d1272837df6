"""The committed schema (`frontend/openapi.json`) is the app's: the SPA's client is
generated from it, so an API change is always a visible change to the client."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.core.config import PROJECT_ROOT
from commands.export_openapi import render_schema, snapshot_schema

SNAPSHOT = PROJECT_ROOT / "frontend" / "openapi.json"
REGENERATE = (
    "`uv run python -m commands.export_openapi frontend/openapi.json`, or `npm run "
    "generate` in frontend/ (which also regenerates the client)"
)
OPERATION_ID = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def operation_ids(schema: dict[str, Any]) -> list[str]:
    return [
        operation["operationId"]
        for path_item in schema["paths"].values()
        for method, operation in path_item.items()
        if method in HTTP_METHODS
    ]


def test_committed_schema_is_the_apps() -> None:
    committed = SNAPSHOT.read_text(encoding="utf-8")
    current = render_schema(snapshot_schema())
    assert current == committed, (
        f"{SNAPSHOT.relative_to(PROJECT_ROOT)} is stale: the API changed. "
        f"Regenerate it with {REGENERATE}, and commit both."
    )


def test_committed_schema_is_rendered_deterministically() -> None:
    committed = SNAPSHOT.read_text(encoding="utf-8")
    assert render_schema(json.loads(committed)) == committed


def test_exporter_ignores_the_environment(tmp_path: Path) -> None:
    output = tmp_path / "openapi.json"
    environment = {
        **os.environ,
        "PROJECT_NAME": "Somewhere Else",
        "ACCESS_TOKEN_EXPIRE_SECONDS": "5",
        "FRONTEND_URL": "https://elsewhere.example.com",
    }
    subprocess.run(
        [sys.executable, "-m", "commands.export_openapi", str(output)],
        cwd=PROJECT_ROOT,
        env=environment,
        check=True,
        timeout=120,
    )
    assert output.read_text(encoding="utf-8") == SNAPSHOT.read_text(encoding="utf-8")


def test_exporter_refuses_a_missing_argument() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "commands.export_openapi"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2
    assert "output" in result.stderr


def test_operation_ids_are_unique_and_readable() -> None:
    ids = operation_ids(snapshot_schema())
    assert ids, "the schema has no operations"
    duplicates = sorted({name for name in ids if ids.count(name) > 1})
    assert not duplicates, f"operation ids used more than once: {duplicates}"
    unreadable = [name for name in ids if not OPERATION_ID.fullmatch(name)]
    assert not unreadable, f"operation ids not like `users_read_me`: {unreadable}"


def test_operation_ids_name_the_known_operations() -> None:
    ids = set(operation_ids(snapshot_schema()))
    assert {
        "auth_login",
        "auth_refresh_access_token",
        "users_read_me",
        "items_list_items",
        "sessions_list_sessions",
    } <= ids
