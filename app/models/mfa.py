"""The second factor: a TOTP authenticator, recovery codes, sign-in challenges."""

import uuid
from datetime import datetime

from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, utcnow

HASH_LENGTH = 64  # SHA-256 / HMAC-SHA-256, hex
KEY_ID_LENGTH = 16
METHOD_MAX_LENGTH = 50


class MfaTotp(Base):
    """A user's authenticator: one per user, active once `confirmed_at` is set.

    The secret is stored encrypted (AES-GCM, see `app.mfa.crypto`) under the
    key named by `key_id`. `last_used_step` is the time step of the last code
    accepted: a code of that step or an earlier one is refused, so a code works
    once, on every instance.
    """

    __tablename__ = "mfa_totp"

    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    key_id: Mapped[str] = mapped_column(String(KEY_ID_LENGTH), nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=utcnow(), nullable=False
    )

    def __repr__(self) -> str:
        return f"MfaTotp(user_id={self.user_id!s})"


class MfaRecoveryCode(Base):
    """One single-use recovery code, stored as a keyed hash (HMAC-SHA-256)."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    code_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=utcnow(), nullable=False
    )

    __table_args__ = (
        Index("uq_mfa_recovery_codes_code_hash", "code_hash", unique=True),
        Index("ix_mfa_recovery_codes_user_id_used_at", "user_id", "used_at"),
    )

    def __repr__(self) -> str:
        return f"MfaRecoveryCode(id={self.id!s})"


class MfaChallenge(Base):
    """A sign-in waiting for its second factor: the password (or the provider)
    was right. The browser holds the token in a cookie; only its SHA-256 hash
    is stored. In the database, so any instance can finish the sign-in."""

    __tablename__ = "mfa_challenges"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    # The first factor, for the session's audit trail ("password", a provider).
    method: Mapped[str] = mapped_column(String(METHOD_MAX_LENGTH), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=utcnow(), nullable=False
    )

    __table_args__ = (
        Index("uq_mfa_challenges_token_hash", "token_hash", unique=True),
        Index("ix_mfa_challenges_user_id", "user_id"),
        Index("ix_mfa_challenges_expires_at", "expires_at"),
    )

    def __repr__(self) -> str:
        return f"MfaChallenge(id={self.id!s})"
