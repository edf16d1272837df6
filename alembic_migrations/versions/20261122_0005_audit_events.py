"""audit events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from fastapi_users_db_sqlalchemy.generics import GUID

from app.db.base import UTCDateTime, utcnow

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_audit_events_created_at": ["created_at"],
    "ix_audit_events_target_user_id_created_at": ["target_user_id", "created_at"],
    "ix_audit_events_actor_user_id_created_at": ["actor_user_id", "created_at"],
    "ix_audit_events_kind_created_at": ["kind", "created_at"],
}


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("actor_user_id", GUID(), nullable=True),
        sa.Column("target_user_id", GUID(), nullable=True),
        sa.Column("target_email", sa.String(length=320), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_audit_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"],
            ["users.id"],
            name=op.f("fk_audit_events_target_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "audit_events", columns)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="audit_events")
    op.drop_table("audit_events")
