"""Transactional email: message builders, templates, the outbox and the senders."""

from app.email.messages import (
    EmailMessage,
    LinkEmail,
    build_email,
    build_link_email,
    moment,
)
from app.email.outbox import EmailQueue, OutboxWorker
from app.email.sender import ConsoleMailer, Mailer, SmtpMailer, create_mailer

__all__ = [
    "ConsoleMailer",
    "EmailMessage",
    "EmailQueue",
    "LinkEmail",
    "Mailer",
    "OutboxWorker",
    "SmtpMailer",
    "build_email",
    "build_link_email",
    "create_mailer",
    "moment",
]
