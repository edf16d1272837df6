import uuid
from datetime import datetime

from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow

TOKEN_HASH_LENGTH = 64  # SHA-256, hex
USER_AGENT_MAX_LENGTH = 512
IP_MAX_LENGTH = 64


class RefreshToken(Base):
    """One refresh token; the tokens rotated from one login form a family.

    The family is what the user sees as a session: it starts at a password login
    and lives as long as its latest token is neither revoked nor expired. Only a
    SHA-256 hash of the token is stored. A rotated token keeps its row (revoked,
    pointing at its successor) until it expires, so presenting it again is
    recognised as theft.
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    family_id: Mapped[uuid.UUID] = mapped_column(GUID, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), nullable=False)
    # The user's token_version when issued: a token minted by a refresh that
    # raced a password change is refused afterwards.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # When the user typed the password that started the family.
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=utcnow(), nullable=False
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set on rotation (with revoked_at). Not a foreign key: the successor may be
    # purged first, and the column needs no index for integrity checks.
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(GUID, default=None)
    user_agent: Mapped[str | None] = mapped_column(
        String(USER_AGENT_MAX_LENGTH), default=None
    )
    ip: Mapped[str | None] = mapped_column(String(IP_MAX_LENGTH), default=None)

    __table_args__ = (
        Index("ix_refresh_tokens_token_hash", "token_hash", unique=True),
        Index("ix_refresh_tokens_user_id_revoked_at", "user_id", "revoked_at"),
        Index("ix_refresh_tokens_family_id_revoked_at", "family_id", "revoked_at"),
        Index("ix_refresh_tokens_expires_at", "expires_at"),
    )

    def __repr__(self) -> str:
        return f"RefreshToken(id={self.id!s}, family_id={self.family_id!s})"
