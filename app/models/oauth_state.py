import uuid
from datetime import datetime

from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow
from app.db.lengths import TOKEN_HASH_LENGTH
from app.models.oauth_account import PROVIDER_MAX_LENGTH

SECRET_MAX_LENGTH = 128
NEXT_PATH_MAX_LENGTH = 2048
INTENT_MAX_LENGTH = 16


class OAuthState(Base):
    """One social-login flow between its start (authorize) and its end (callback).

    Server-side and single-use: the callback deletes the row it uses (DELETE ...
    RETURNING), so of two requests with one state only one gets it, on any
    instance. Only hashes of the state and of the browser's binding cookie are
    stored; the PKCE verifier and the nonce never leave the server but in the
    token request and the ID token check.
    """

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), nullable=False)
    provider: Mapped[str] = mapped_column(String(PROVIDER_MAX_LENGTH), nullable=False)
    code_verifier: Mapped[str] = mapped_column(
        String(SECRET_MAX_LENGTH), nullable=False
    )
    nonce: Mapped[str] = mapped_column(String(SECRET_MAX_LENGTH), nullable=False)
    next_path: Mapped[str] = mapped_column(String(NEXT_PATH_MAX_LENGTH), nullable=False)
    # "login" or "connect" (then user_id is the signed-in user connecting).
    intent: Mapped[str] = mapped_column(String(INTENT_MAX_LENGTH), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=utcnow(), nullable=False
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (
        Index("ix_oauth_states_expires_at", "expires_at"),
        Index("ix_oauth_states_user_id", "user_id"),
    )

    def __repr__(self) -> str:
        return f"OAuthState(provider={self.provider!r}, intent={self.intent!r})"
