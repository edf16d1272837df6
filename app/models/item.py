import uuid

from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.permissions import PermissionSet
from app.db.base import Base, TimestampMixin


class ItemPermission(PermissionSet):
    """What a role may do to items beyond its holder's own (owners keep theirs)."""

    READ_ANY = "items:read_any", "See and filter everyone's items."
    UPDATE_ANY = "items:update_any", "Change anyone's items."
    DELETE_ANY = "items:delete_any", "Delete anyone's items."


class Item(TimestampMixin, Base):
    """The model owned resource: every item belongs to one user."""

    __tablename__ = "items"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )

    # Read the database-set timestamps back with RETURNING in the INSERT or
    # UPDATE itself, instead of a SELECT after it.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 (read once by SQLAlchemy)

    # A superuser's list of everyone's items reads each offered sort order
    # (created_at, updated_at, title; id breaks ties) from an index; one owner's
    # items come from the owner index and are few enough to sort.
    __table_args__ = (
        Index("ix_items_owner_id_created_at", "owner_id", "created_at"),
        Index("ix_items_created_at", "created_at"),
        Index("ix_items_updated_at_id", "updated_at", "id"),
        Index("ix_items_title_id", "title", "id"),
    )
