import unicodedata
from typing import TYPE_CHECKING

from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID
from sqlalchemy import Boolean, Index, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.db.base import Base, TimestampMixin
from app.db.lengths import EMAIL_MAX_LENGTH


def normalize_email(email: str) -> str:
    """The form two addresses share when they differ only in letter case.

    Full Unicode case folding (`JOSÉ` and `josé`, `ß` and `ss`), computed here
    rather than by the database: SQLite's lower() folds ASCII only.
    """
    folded = unicodedata.normalize("NFC", email).casefold()
    return unicodedata.normalize("NFC", folded)


class User(SQLAlchemyBaseUserTableUUID, TimestampMixin, Base):
    __tablename__ = "users"

    # Replaces the base's case-sensitive unique index: uniqueness is enforced on
    # email_normalized, so "Ann@x.io" and "ann@x.io" cannot both exist.
    if TYPE_CHECKING:  # fastapi-users' UserProtocol wants a plain `str` here
        email: str
    else:
        email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), nullable=False)
    # Set from `email` whenever it is assigned (see `_normalize`).
    email_normalized: Mapped[str] = mapped_column(
        String(EMAIL_MAX_LENGTH), nullable=False
    )
    full_name: Mapped[str | None] = mapped_column(String(255), default=None)
    # Bumped when the password changes or the account is deactivated; access
    # tokens carry it, so every token issued before then stops working at once.
    token_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    # False for an account created by social login: its hashed_password is of a
    # random secret nobody knows. Set again by any new password (a reset).
    has_usable_password: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )

    __table_args__ = (
        Index("uq_users_email_normalized", "email_normalized", unique=True),
        Index("ix_users_is_active", "is_active"),
        Index("ix_users_is_superuser", "is_superuser"),
        Index("ix_users_created_at", "created_at"),
    )

    @validates("email")
    def _normalize(self, _key: str, email: str) -> str:
        self.email_normalized = normalize_email(email)
        return email

    def __repr__(self) -> str:
        return f"User(id={self.id!s}, email={self.email!r})"
