"""items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:19:35
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from fastapi_users_db_sqlalchemy.generics import GUID

from app.db.base import UTCDateTime, utcnow

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_id", GUID(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_items_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
    )
    op.create_index("ix_items_created_at", "items", ["created_at"])
    op.create_index("ix_items_owner_id_created_at", "items", ["owner_id", "created_at"])
    op.create_index("ix_items_updated_at_id", "items", ["updated_at", "id"])
    op.create_index("ix_items_title_id", "items", ["title", "id"])


def downgrade() -> None:
    op.drop_index("ix_items_title_id", table_name="items")
    op.drop_index("ix_items_updated_at_id", table_name="items")
    op.drop_index("ix_items_owner_id_created_at", table_name="items")
    op.drop_index("ix_items_created_at", table_name="items")
    op.drop_table("items")
