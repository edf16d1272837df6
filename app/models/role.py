"""Roles are data: a role names a set of permissions and is granted to users.

The permissions themselves are defined in code (`app.authz.permissions`);
`role_permissions.permission` holds their `resource:action` strings.
"""

import uuid
from datetime import datetime

from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import Boolean, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TimestampMixin, UTCDateTime, utcnow

ROLE_SLUG_MAX_LENGTH = 64
ROLE_NAME_MAX_LENGTH = 100
PERMISSION_MAX_LENGTH = 100


class Role(TimestampMixin, Base):
    """A named set of permissions. System roles cannot be renamed or deleted."""

    __tablename__ = "roles"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(ROLE_SLUG_MAX_LENGTH), nullable=False)
    name: Mapped[str] = mapped_column(String(ROLE_NAME_MAX_LENGTH), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    is_system: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )

    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 (read once by SQLAlchemy)

    __table_args__ = (Index("uq_roles_slug", "slug", unique=True),)

    def __repr__(self) -> str:
        return f"Role(slug={self.slug!r})"


class RolePermission(Base):
    """One permission of a role."""

    __tablename__ = "role_permissions"

    role_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(
        String(PERMISSION_MAX_LENGTH), primary_key=True
    )

    # The start-up check lists the distinct permissions in use.
    __table_args__ = (Index("ix_role_permissions_permission", "permission"),)


class UserRole(Base):
    """A role granted to a user; the primary key (user_id, role_id) serves the
    per-request permission check, `ix_user_roles_role_id` the role's holders."""

    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    granted_by: Mapped[uuid.UUID | None] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    granted_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=utcnow(), nullable=False
    )

    __table_args__ = (
        Index("ix_user_roles_role_id", "role_id"),
        # Serves ON DELETE SET NULL when the granting user is deleted.
        Index("ix_user_roles_granted_by", "granted_by"),
    )
