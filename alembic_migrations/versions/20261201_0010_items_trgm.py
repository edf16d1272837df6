"""items: trigram indexes for the search, PostgreSQL only

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:00:00

A superuser's `q` over every item (`lower(title) LIKE '%text%' OR
lower(description) LIKE ...`) was a sequential scan of the table. pg_trgm's GIN
indexes on the lowered columns answer it (a BitmapOr of the two); patterns
shorter than three characters still scan. SQLite keeps its portable LIKE: the
models declare these indexes PostgreSQL-only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_items_title_trgm": "title",
    "ix_items_description_trgm": "description",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Trusted since PostgreSQL 13: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        op.create_index(
            name,
            "items",
            [sa.text(f"lower({column}) gin_trgm_ops")],
            postgresql_using="gin",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.drop_index(name, table_name="items")
    # The extension stays: other objects of the database may use it by now.
