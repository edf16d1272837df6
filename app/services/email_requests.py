"""The work behind forgot-password and request-verify-token, done after answering.

Both routes answer 202 before looking the address up, and do this afterwards
in a transaction of their own: the answer, and how long it takes, are the same
whether an account has the address or not.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi_users import exceptions
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.manager import UserManager
from app.core.config import Settings
from app.db.session import session_scope
from app.email import EmailQueue
from app.models import User
from app.services.user_manager import build_user_manager

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EmailRequest:
    """What the manager does for the account, and the refusals that mean "no email"."""

    name: str
    send: Callable[[UserManager, User], Awaitable[None]]
    unanswered: tuple[type[Exception], ...]


PASSWORD_RESET = EmailRequest(
    "password-reset",
    lambda manager, user: manager.forgot_password(user),
    (exceptions.UserNotExists, exceptions.UserInactive),
)
VERIFICATION = EmailRequest(
    "verification",
    lambda manager, user: manager.request_verify(user),
    (exceptions.UserNotExists, exceptions.UserInactive, exceptions.UserAlreadyVerified),
)


async def fulfil(
    request: EmailRequest,
    email: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    emails: EmailQueue,
) -> None:
    """Queue the requested email for the account with this address, if one may
    have it. Errors are logged: the client has had its answer already."""
    try:
        async with session_scope(sessionmaker) as session:
            manager = build_user_manager(session, settings, emails)
            await request.send(manager, await manager.get_by_email(email))
    except request.unanswered:
        return
    except Exception:
        logger.exception("could not queue a %s email", request.name)
