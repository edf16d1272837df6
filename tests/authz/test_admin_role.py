"""The data migration seeds the system role `admin` with every permission."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.authz.permissions import PERMISSIONS
from app.models import Role, RolePermission
from tests.fixtures.database import run_alembic
from tests.test_migrations import empty_database_url  # noqa: F401 (a fixture)


async def test_migrations_seed_the_admin_system_role_with_every_permission(
    empty_database_url: str,  # noqa: F811 (the fixture)
) -> None:
    await run_alembic(empty_database_url, "upgrade", "head")
    engine = create_async_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            admin = (
                await connection.execute(select(Role).where(Role.slug == "admin"))
            ).one()
            permissions = await connection.scalars(
                select(RolePermission.permission).where(
                    RolePermission.role_id == admin.id
                )
            )
            held = sorted(permissions)
    finally:
        await engine.dispose()

    assert admin.is_system is True
    # A permission added to the code later is added to admin by its migration.
    assert held == sorted(PERMISSIONS)
