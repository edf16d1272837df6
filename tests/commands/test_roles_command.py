"""`python -m commands.roles`, run as a person runs it, on a database of its own."""

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import PROJECT_ROOT
from app.models import AuditEvent
from tests.commands.cli import Result, cli_env, run_cli
from tests.fixtures.database import run_alembic
from tests.test_migrations import empty_database_url  # noqa: F401 (a fixture)

SCHOOL = PROJECT_ROOT / "examples" / "roles" / "school.toml"
MARKETPLACE = PROJECT_ROOT / "examples" / "roles" / "marketplace.toml"
PASSWORD = "correct-Horse-battery-7"


async def roles(database_url: str, *args: str) -> Result:
    return await run_cli("-m", "commands.roles", *args, env=cli_env(database_url))


async def count_events(database_url: str, kind: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.kind == kind)
            )
            return int(count or 0)
    finally:
        await engine.dispose()


async def test_applying_a_roles_file_twice_changes_nothing_the_second_time(
    empty_database_url: str,  # noqa: F811 (the fixture)
) -> None:
    await run_alembic(empty_database_url, "upgrade", "head")

    first = await roles(empty_database_url, "apply", str(SCHOOL))
    second = await roles(empty_database_url, "apply", str(SCHOOL))
    both = await roles(empty_database_url, "apply", str(MARKETPLACE))
    listed = await roles(empty_database_url, "list")

    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        "created teacher: items:delete_any, items:read_any, items:update_any, "
        "users:read",
        "created student: (no permissions)",
        "2 role(s) changed",
    ]
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines() == [
        "unchanged teacher",
        "unchanged student",
        "nothing to change",
    ]
    assert both.exit_code == 0, both.output
    assert "3 role(s) changed" in both.stdout
    for slug in ("admin (system)", "teacher", "student", "customer", "studio_owner"):
        assert f"  {slug}: " in listed.stdout
    assert await count_events(empty_database_url, "role.created") == 5


async def test_a_changed_file_updates_and_a_bad_one_writes_nothing(
    empty_database_url: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    await run_alembic(empty_database_url, "upgrade", "head")
    await roles(empty_database_url, "apply", str(SCHOOL))
    changed = tmp_path / "school.toml"
    changed.write_text(
        SCHOOL.read_text().replace('"users:read"]', '"stats:read"]'), encoding="utf-8"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[roles.new]\nname = "New"\npermissions = []\n'
        '[roles.teacher]\nname = "T"\npermissions = ["grades:write"]\n',
        encoding="utf-8",
    )
    system = tmp_path / "system.toml"
    system.write_text(
        '[roles.admin]\nname = "Admin"\npermissions = []\n', encoding="utf-8"
    )

    update = await roles(empty_database_url, "apply", str(changed))
    refused = await roles(empty_database_url, "apply", str(bad))
    refused_system = await roles(empty_database_url, "apply", str(system))
    listed = await roles(empty_database_url, "list")

    assert update.exit_code == 0, update.output
    assert "updated teacher: +stats:read -users:read" in update.stdout
    assert refused.exit_code == 1
    assert "grades:write" in refused.stderr
    assert "Traceback" not in refused.output
    assert refused_system.exit_code == 1
    assert "system role" in refused_system.stderr
    assert "  new: " not in listed.stdout  # nothing of the bad file was written
    assert await count_events(empty_database_url, "role.updated") == 1


async def test_create_grant_revoke(
    empty_database_url: str,  # noqa: F811 (the fixture)
) -> None:
    await run_alembic(empty_database_url, "upgrade", "head")
    email = "ann@example.com"
    created_user = await run_cli(
        "-m",
        "commands.create_superuser",
        "--email",
        email,
        "--password",
        PASSWORD,
        env=cli_env(empty_database_url),
    )
    assert created_user.exit_code == 0, created_user.output

    create = await roles(
        empty_database_url,
        "create",
        "helper",
        "--name",
        "Helper",
        "--permission",
        "stats:read",
        "--permission",
        "audit:read",
    )
    duplicate = await roles(empty_database_url, "create", "helper")
    unknown = await roles(empty_database_url, "create", "x", "--permission", "no:pe")
    grant = await roles(empty_database_url, "grant", email, "helper")
    again = await roles(empty_database_url, "grant", email, "helper")
    revoke = await roles(empty_database_url, "revoke", email, "helper")
    nobody = await roles(empty_database_url, "grant", "nobody@example.com", "helper")
    no_role = await roles(empty_database_url, "grant", email, "nothing")

    assert create.exit_code == 0, create.output
    assert create.stdout.strip() == "created helper: audit:read, stats:read"
    assert (duplicate.exit_code, unknown.exit_code) == (1, 1)
    assert "exists already" in duplicate.stderr
    assert "no:pe" in unknown.stderr
    assert grant.stdout.strip() == f"granted helper to {email}"
    assert again.stdout.strip() == "already held"
    assert revoke.stdout.strip() == f"revoked helper from {email}"
    assert nobody.exit_code == 1
    assert "no user has the email" in nobody.stderr
    assert no_role.exit_code == 1
    assert "no such role" in no_role.stderr
    assert await count_events(empty_database_url, "role.granted") == 1
    assert await count_events(empty_database_url, "role.revoked") == 1
