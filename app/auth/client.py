"""Who is calling: the device and address a request comes from, and its user.

One `ClientInfo` for everything that records a client (sessions, the audit
trail) and one way to read the address (rate limits too), so all of them agree
on what a proxy-forwarded request's address is and how long a user agent may be.
"""

import uuid
from dataclasses import dataclass

from starlette.requests import Request

from app.auth.access_tokens import REQUEST_USER_STATE
from app.core.config import Settings
from app.core.net import client_ip
from app.db.lengths import IP_MAX_LENGTH, USER_AGENT_MAX_LENGTH


def printable(text: str | None, max_length: int) -> str | None:
    """`text` without control characters (NUL included), cut to `max_length`."""
    if text is None:
        return None
    return "".join(ch for ch in text if ch.isprintable())[:max_length] or None


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """The cleaned user agent and the proxy-aware IP address of a request."""

    user_agent: str | None
    ip: str | None


def request_ip(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return client_ip(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        tuple(settings.TRUSTED_PROXIES),
    )


def client_info(request: Request) -> ClientInfo:
    return ClientInfo(
        user_agent=printable(request.headers.get("user-agent"), USER_AGENT_MAX_LENGTH),
        ip=printable(request_ip(request), IP_MAX_LENGTH),
    )


def request_user_id(request: Request | None) -> uuid.UUID | None:
    """The user the request's access token authenticated, if any."""
    if request is None:
        return None
    user_id: uuid.UUID | None = getattr(request.state, REQUEST_USER_STATE, None)
    return user_id
