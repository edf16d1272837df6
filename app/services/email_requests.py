"""The work behind forgot-password and request-verify-token, done after answering.

Both routes answer 202 before looking the address up, and do this afterwards
in a transaction of their own: the answer, and how long it takes, are the same
whether an account has the address or not.
"""

import logging

from fastapi_users import exceptions
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.db.session import session_scope
from app.email import EmailQueue
from app.services.user_manager import build_user_manager

logger = logging.getLogger(__name__)

Sessionmaker = async_sessionmaker[AsyncSession]


async def send_password_reset(
    sessionmaker: Sessionmaker, settings: Settings, emails: EmailQueue, email: str
) -> None:
    """Queue a reset link for the active account with this address, if any."""
    try:
        async with session_scope(sessionmaker) as session:
            manager = build_user_manager(session, settings, emails)
            user = await manager.get_by_email(email)
            await manager.forgot_password(user)
    except (exceptions.UserNotExists, exceptions.UserInactive):
        return
    except Exception:
        logger.exception("could not queue a password-reset email")


async def send_verification(
    sessionmaker: Sessionmaker, settings: Settings, emails: EmailQueue, email: str
) -> None:
    """Queue a verification link for the active, unverified account, if any."""
    try:
        async with session_scope(sessionmaker) as session:
            manager = build_user_manager(session, settings, emails)
            user = await manager.get_by_email(email)
            await manager.request_verify(user)
    except (
        exceptions.UserNotExists,
        exceptions.UserInactive,
        exceptions.UserAlreadyVerified,
    ):
        return
    except Exception:
        logger.exception("could not queue a verification email")
