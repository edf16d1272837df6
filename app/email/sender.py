"""Deliver emails: over SMTP with fastapi-mail, or to the log when no server is set."""

import logging
from typing import Protocol

from fastapi_mail import ConnectionConfig, FastMail, MessageSchema, MessageType
from fastapi_mail.schemas import MultipartSubtypeEnum
from pydantic import NameEmail

from app.core.config import Settings
from app.email.messages import EmailMessage

logger = logging.getLogger(__name__)


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class ConsoleMailer:
    """Development mailer: writes the email, link included, to the log."""

    async def send(self, message: EmailMessage) -> None:
        logger.info(
            "email (no MAIL_SERVER set, not sent) kind=%s to=%s subject=%r\n%s",
            message.kind,
            message.recipient,
            message.subject,
            message.text,
            # Development only: lets the link through the log's token masking.
            extra={"reveal": True},
        )


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        use_credentials = settings.MAIL_USE_CREDENTIALS
        if use_credentials is None:
            use_credentials = bool(settings.MAIL_USERNAME)
        self._fastmail = FastMail(
            ConnectionConfig(
                MAIL_SERVER=settings.MAIL_SERVER,
                MAIL_PORT=settings.MAIL_PORT,
                MAIL_USERNAME=settings.MAIL_USERNAME,
                MAIL_PASSWORD=settings.MAIL_PASSWORD,
                MAIL_FROM=settings.MAIL_FROM,
                MAIL_FROM_NAME=settings.MAIL_FROM_NAME,
                MAIL_STARTTLS=settings.MAIL_STARTTLS,
                MAIL_SSL_TLS=settings.MAIL_SSL_TLS,
                USE_CREDENTIALS=use_credentials,
                VALIDATE_CERTS=settings.MAIL_VALIDATE_CERTS,
                TIMEOUT=settings.MAIL_TIMEOUT,
            )
        )

    async def send(self, message: EmailMessage) -> None:
        schema = MessageSchema(
            recipients=[NameEmail(name="", email=message.recipient)],
            subject=message.subject,
            # fastapi-mail attaches the alternative body last, and mail clients
            # show the last alternative they support: HTML must come second.
            body=message.text,
            alternative_body=message.html,
            subtype=MessageType.plain,
            multipart_subtype=MultipartSubtypeEnum.alternative,
        )
        await self._fastmail.send_message(schema)


def create_mailer(settings: Settings) -> Mailer:
    return SmtpMailer(settings) if settings.MAIL_SERVER else ConsoleMailer()
