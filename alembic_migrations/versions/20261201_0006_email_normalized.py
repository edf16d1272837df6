"""users.email_normalized: case-insensitive uniqueness beyond ASCII

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:00:00

SQLite's lower() folds ASCII only, so `lower(email)` let `josé@x.io` and
`JOSÉ@X.IO` register twice there. The folded form is now computed in Python
(`app.models.user.normalize_email`) and unique on both databases.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

users = sa.table(
    "users",
    sa.column("id", sa.String),
    sa.column("email", sa.String),
    sa.column("email_normalized", sa.String),
)


def normalize_email(email: str) -> str:
    # A copy of app.models.user.normalize_email as it was at this revision.
    folded = unicodedata.normalize("NFC", email).casefold()
    return unicodedata.normalize("NFC", folded)


def upgrade() -> None:
    # First: SQLite's batch mode rebuilds the table and cannot carry an
    # expression index across.
    op.drop_index("uq_users_email_lower", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_normalized", sa.String(320), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email)).all()
    owners: dict[str, list[str]] = defaultdict(list)
    for user_id, email in rows:
        owners[normalize_email(email)].append(email)
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(email_normalized=normalize_email(email))
        )
    clashes = sorted(emails for emails in owners.values() if len(emails) > 1)
    if clashes:
        raise RuntimeError(
            "these accounts differ only in letter case; merge or rename them, "
            f"then migrate again: {clashes}"
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "email_normalized", existing_type=sa.String(320), nullable=False
        )
        batch.create_index(
            "uq_users_email_normalized", ["email_normalized"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_index("uq_users_email_normalized")
        batch.drop_column("email_normalized")
    op.create_index(
        "uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True
    )
