"""Deliver emails: over SMTP, or to the log when no server is set.

fastapi-mail builds the message (headers, the two alternatives, encodings);
aiosmtplib sends it in its own connection context, which treats an odd answer
to the final QUIT as the end of a delivery that already succeeded. fastapi-mail's
sending path raises then, and the outbox would send an accepted email again.
"""

import logging
from typing import Protocol

import aiosmtplib
from aiosmtplib import SMTPStatus
from fastapi_mail import ConnectionConfig, FastMail, MessageSchema, MessageType
from fastapi_mail.schemas import MultipartSubtypeEnum
from pydantic import NameEmail

from app.core.config import Settings
from app.email.messages import EmailMessage

logger = logging.getLogger(__name__)


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> str | None:
        """Deliver `message`; the server's final answer (`250 ...`), if any."""


class ConsoleMailer:
    """Development mailer: writes the email, link included, to the log."""

    async def send(self, message: EmailMessage) -> str | None:
        logger.info(
            "email (no MAIL_SERVER set, not sent) kind=%s to=%s subject=%r\n%s",
            message.kind,
            message.recipient,
            message.subject,
            message.text,
            # Development only: lets the link through the log's token masking.
            extra={"reveal": True},
        )
        return None


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
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
                USE_CREDENTIALS=settings.mail_uses_credentials,
                VALIDATE_CERTS=settings.MAIL_VALIDATE_CERTS,
                TIMEOUT=settings.MAIL_TIMEOUT,
            )
        )

    async def send(self, message: EmailMessage) -> str:
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
        mime = await self._fastmail.get_message(schema)
        assert not isinstance(mime, list)  # one schema in, one message out
        settings = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.MAIL_SERVER,
            port=settings.MAIL_PORT,
            use_tls=settings.MAIL_SSL_TLS,
            start_tls=settings.MAIL_STARTTLS,
            validate_certs=settings.MAIL_VALIDATE_CERTS,
            timeout=settings.MAIL_TIMEOUT,
        )
        async with smtp:
            if settings.mail_uses_credentials:
                await smtp.login(
                    settings.MAIL_USERNAME, settings.MAIL_PASSWORD.get_secret_value()
                )
            # aiosmtplib asks for SMTPUTF8 when an address is not ASCII.
            _, reply = await smtp.send_message(
                mime, sender=settings.MAIL_FROM, recipients=[message.recipient]
            )
        # Anything but 250 after the message would have raised SMTPDataError.
        return f"{SMTPStatus.completed.value} {reply}"


def create_mailer(settings: Settings) -> Mailer:
    return SmtpMailer(settings) if settings.MAIL_SERVER else ConsoleMailer()
