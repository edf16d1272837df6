import uuid
from datetime import datetime

from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow
from app.db.lengths import EMAIL_MAX_LENGTH

PROVIDER_MAX_LENGTH = 32
SUBJECT_MAX_LENGTH = 255


class OAuthAccount(Base):
    """An identity at a social-login provider, linked to one user.

    Keyed by (provider, subject): the provider's stable id for the person, never
    their email, which they can change there. The email is the one the provider
    gave at the last sign-in, for the user's settings page. No provider token is
    stored: nothing here calls the provider on the user's behalf afterwards.
    """

    __tablename__ = "oauth_accounts"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    provider: Mapped[str] = mapped_column(String(PROVIDER_MAX_LENGTH), nullable=False)
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX_LENGTH), nullable=False)
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX_LENGTH), default=None)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=utcnow(), nullable=False
    )
    last_used_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=utcnow(), nullable=False
    )

    __table_args__ = (
        Index("uq_oauth_accounts_provider_subject", "provider", "subject", unique=True),
        # The user's identities; also serves ON DELETE CASCADE.
        Index("ix_oauth_accounts_user_id", "user_id"),
    )

    def __repr__(self) -> str:
        return f"OAuthAccount(id={self.id!s}, provider={self.provider!r})"
