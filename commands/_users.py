"""The API's user manager outside a request, for the commands."""

from fastapi_users import exceptions
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.manager import UserManager
from app.core.config import Settings
from app.db.session import session_scope
from app.email import EmailQueue
from app.models import User
from app.services.user_manager import build_user_manager


def user_manager(session: AsyncSession, settings: Settings) -> UserManager:
    # Queued emails wait in the outbox for the app's worker or `send_emails`.
    return build_user_manager(session, settings, EmailQueue())


async def find_user(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, email: str
) -> User | None:
    """The account with this email (in any letter case), or None."""
    async with session_scope(sessionmaker) as session:
        try:
            return await user_manager(session, settings).get_by_email(email)
        except exceptions.UserNotExists:
            return None
