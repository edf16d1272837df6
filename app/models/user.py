from typing import TYPE_CHECKING

from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID
from sqlalchemy import Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TimestampMixin


class User(SQLAlchemyBaseUserTableUUID, TimestampMixin, Base):
    __tablename__ = "users"

    # Replaces the base's case-sensitive unique index: uniqueness is enforced on
    # lower(email) below, so "Ann@x.io" and "ann@x.io" cannot both exist.
    if TYPE_CHECKING:  # fastapi-users' UserProtocol wants a plain `str` here
        email: str
    else:
        email: Mapped[str] = mapped_column(String(320), nullable=False)
    full_name: Mapped[str | None] = mapped_column(String(255), default=None)
    # Bumped when the password changes or the account is deactivated; access
    # tokens carry it, so every token issued before then stops working at once.
    token_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )

    __table_args__ = (
        Index("uq_users_email_lower", func.lower(email), unique=True),
        Index("ix_users_is_active", "is_active"),
        Index("ix_users_is_superuser", "is_superuser"),
        Index("ix_users_created_at", "created_at"),
    )

    def __repr__(self) -> str:
        return f"User(id={self.id!s}, email={self.email!r})"
