"""Transactional email: message builders, templates and the senders."""

from app.email.messages import (
    EmailMessage,
    build_reset_password_email,
    build_verify_email,
)
from app.email.sender import (
    ConsoleMailer,
    Mailer,
    SmtpMailer,
    create_mailer,
    queue_email,
)

__all__ = [
    "ConsoleMailer",
    "EmailMessage",
    "Mailer",
    "SmtpMailer",
    "build_reset_password_email",
    "build_verify_email",
    "create_mailer",
    "queue_email",
]
