"""The emails an account's owner gets: links to act on, and security notices.

All go through the outbox in the caller's transaction, so an email exists
exactly when the change it reports was committed.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.email import (
    EmailQueue,
    LinkEmail,
    build_email,
    build_link_email,
    moment,
)
from app.models import User


class AccountEmails:
    def __init__(self, settings: Settings, queue: EmailQueue) -> None:
        self.settings = settings
        self.queue = queue

    def verification(self, session: AsyncSession, user: User, token: str) -> None:
        self._send_link(session, "verify_email", user, token)

    def password_reset(self, session: AsyncSession, user: User, token: str) -> None:
        self._send_link(session, "reset_password", user, token)

    def welcome(self, session: AsyncSession, user: User) -> None:
        if self.settings.WELCOME_EMAIL_ENABLED:
            self._notify(session, "welcome", user)

    def password_changed(self, session: AsyncSession, user: User) -> None:
        self._notify(session, "password_changed", user, when=_now())

    def email_changed(self, session: AsyncSession, user: User, old_email: str) -> None:
        """To the old address: the new one may be an intruder's."""
        self._notify(
            session,
            "email_changed",
            user,
            to=old_email,
            old_email=old_email,
            new_email=user.email,
            when=_now(),
        )

    def oauth_connected(self, session: AsyncSession, user: User, provider: str) -> None:
        """A provider identity now signs in to the account (linked or connected)."""
        self._notify(session, "oauth_connected", user, provider=provider, when=_now())

    def _send_link(
        self, session: AsyncSession, kind: LinkEmail, user: User, token: str
    ) -> None:
        message = build_link_email(
            self.settings, kind, to=user.email, name=user.full_name, token=token
        )
        self.queue.queue(session, message)

    def _notify(
        self,
        session: AsyncSession,
        kind: str,
        user: User,
        to: str | None = None,
        **context: object,
    ) -> None:
        message = build_email(
            self.settings, kind, to=to or user.email, name=user.full_name, **context
        )
        self.queue.queue(session, message)


def _now() -> str:
    return moment(datetime.now(UTC))
