"""Each flow's single-use state record, the browser binding, PKCE and `next`.

The state is random (256 bits) and only its SHA-256 is stored. The browser that
started the flow holds a random binding secret in an HttpOnly cookie scoped to
the OAuth routes; the record stores its hash, and the callback takes the record
only with the same browser's cookie. Taking it deletes it (DELETE ... RETURNING,
atomic on both databases and across instances), so a state works once.
"""

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import API_PREFIX
from app.models import OAuthState
from app.models.oauth_state import NEXT_PATH_MAX_LENGTH
from app.sessions.store import hash_token, utc_now

STATE_LIFETIME = timedelta(minutes=10)
BROWSER_COOKIE_NAME = "gatehouse_oauth"
BROWSER_COOKIE_PATH = f"{API_PREFIX}/auth/oauth"
# A browser secret shorter than this is not one we issued.
MIN_SECRET_LENGTH = 32


class Intent(StrEnum):
    LOGIN = "login"
    CONNECT = "connect"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """PKCE S256 (RFC 7636): base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def safe_next(value: str | None) -> str:
    """`next` if it is a path on the SPA, else "/".

    A single leading "/" and no backslash or control character: "//evil.com"
    and "/\\evil.com" are read by browsers as another host, and "https://..." is
    one. The SPA's own router takes it from there.
    """
    if (
        not value
        or len(value) > NEXT_PATH_MAX_LENGTH
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)
    ):
        return "/"
    return value


@dataclass(frozen=True, slots=True)
class StartedFlow:
    """What authorize hands the provider (state, challenge, nonce) and keeps."""

    state: str
    code_challenge: str
    nonce: str


def usable_browser_secret(cookie: str | None) -> str | None:
    if cookie and MIN_SECRET_LENGTH <= len(cookie) <= 128:
        return cookie
    return None


async def start_flow(
    session: AsyncSession,
    *,
    provider: str,
    browser_secret: str,
    intent: Intent,
    next_path: str,
    user_id: uuid.UUID | None,
) -> StartedFlow:
    """Store a new flow's record; expired records are cleared on the way."""
    now = utc_now()
    await session.execute(
        delete(OAuthState)
        .where(OAuthState.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    state, verifier, nonce = new_secret(), secrets.token_urlsafe(48), new_secret()
    session.add(
        OAuthState(
            state_hash=hash_token(state),
            browser_hash=hash_token(browser_secret),
            provider=provider,
            code_verifier=verifier,
            nonce=nonce,
            next_path=next_path,
            intent=intent.value,
            user_id=user_id,
            expires_at=now + STATE_LIFETIME,
        )
    )
    await session.flush()
    return StartedFlow(
        state=state, code_challenge=code_challenge(verifier), nonce=nonce
    )


@dataclass(frozen=True, slots=True)
class TakenFlow:
    """A flow's record, taken by its callback (it exists no more)."""

    provider: str
    code_verifier: str
    nonce: str
    next_path: str
    intent: Intent
    user_id: uuid.UUID | None
    expires_at: datetime


async def take_flow(
    session: AsyncSession, *, provider: str, state: str, browser_secret: str
) -> TakenFlow | None:
    """The flow for `state`, if this browser started it for this provider and it
    has not expired; deleted whether expired or not, so it never works again."""
    result = await session.execute(
        delete(OAuthState)
        .where(
            OAuthState.state_hash == hash_token(state),
            OAuthState.browser_hash == hash_token(browser_secret),
            OAuthState.provider == provider,
        )
        .returning(
            OAuthState.code_verifier,
            OAuthState.nonce,
            OAuthState.next_path,
            OAuthState.intent,
            OAuthState.user_id,
            OAuthState.expires_at,
        )
        .execution_options(synchronize_session=False)
    )
    row = result.one_or_none()
    if row is None:
        return None
    flow = TakenFlow(
        provider=provider,
        code_verifier=row.code_verifier,
        nonce=row.nonce,
        next_path=row.next_path,
        intent=Intent(row.intent),
        user_id=row.user_id,
        expires_at=row.expires_at,
    )
    return flow if flow.expires_at > utc_now() else None
