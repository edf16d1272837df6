"""roles, role_permissions, user_roles; the system role `admin`

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:00:00

Roles are data, permissions are code. The seeded `admin` role carries every
permission the code defined when this migration was written (listed below,
not imported: a migration must not change when the code does).
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from fastapi_users_db_sqlalchemy.generics import GUID

from app.db.base import UTCDateTime, utcnow

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADMIN_ROLE_ID = uuid.UUID("6f1b0c8e-2d4a-4c1e-9a57-0d6c3b1e7a07")
ADMIN_PERMISSIONS = (
    "audit:read",
    "items:delete_any",
    "items:read_any",
    "items:update_any",
    "metrics:read",
    "roles:assign",
    "roles:manage",
    "roles:read",
    "stats:read",
    "users:manage",
    "users:read",
)


def upgrade() -> None:
    roles = op.create_table(
        "roles",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_system", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
    )
    op.create_index("uq_roles_slug", "roles", ["slug"], unique=True)
    role_permissions = op.create_table(
        "role_permissions",
        sa.Column("role_id", GUID(), nullable=False),
        sa.Column("permission", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_role_permissions_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "role_id", "permission", name=op.f("pk_role_permissions")
        ),
    )
    op.create_index(
        "ix_role_permissions_permission", "role_permissions", ["permission"]
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", GUID(), nullable=False),
        sa.Column("role_id", GUID(), nullable=False),
        sa.Column("granted_by", GUID(), nullable=True),
        sa.Column("granted_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_roles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_user_roles_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"],
            ["users.id"],
            name=op.f("fk_user_roles_granted_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_user_roles")),
    )
    op.create_index("ix_user_roles_role_id", "user_roles", ["role_id"])
    op.create_index("ix_user_roles_granted_by", "user_roles", ["granted_by"])

    op.bulk_insert(
        roles,
        [
            {
                "id": ADMIN_ROLE_ID,
                "slug": "admin",
                "name": "Administrator",
                "description": "Every permission (a system role).",
                "is_system": True,
            }
        ],
    )
    op.bulk_insert(
        role_permissions,
        [
            {"role_id": ADMIN_ROLE_ID, "permission": permission}
            for permission in ADMIN_PERMISSIONS
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_user_roles_granted_by", table_name="user_roles")
    op.drop_index("ix_user_roles_role_id", table_name="user_roles")
    op.drop_table("user_roles")
    op.drop_index("ix_role_permissions_permission", table_name="role_permissions")
    op.drop_table("role_permissions")
    op.drop_index("uq_roles_slug", table_name="roles")
    op.drop_table("roles")
