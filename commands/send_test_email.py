"""Send a test email through the configured mailer and report the server's answer.

    uv run python -m commands.send_test_email --to you@example.com

The first thing to run after setting MAIL_*. With MAIL_SERVER set it talks
SMTP as the app does (MAIL_PORT, MAIL_STARTTLS, MAIL_SSL_TLS, credentials) and
prints the server's reply, e.g. `250 Message accepted`; a refused connection,
failed authentication or TLS problem is one line and exit status 2. Without
MAIL_SERVER, emails go to the log: the test message is written there.
"""

import argparse
import asyncio
import ssl
import sys

import aiosmtplib

from app.core.config import Settings
from app.core.logging import configure_logging
from app.email import EmailMessage, SmtpMailer, create_mailer
from commands._common import (
    EXIT_CONFIG,
    EXIT_OK,
    CommandError,
    load_settings,
    run_command,
    validated_email,
)

SUBJECT = "gatehouse test email"
TEXT = (
    "This is a test email from gatehouse's send_test_email command.\n"
    "If you can read it, the MAIL_* settings work.\n"
)


def test_message(recipient: str) -> EmailMessage:
    return EmailMessage(
        kind="test",
        recipient=recipient,
        subject=SUBJECT,
        html=f"<p>{TEXT}</p>",
        text=TEXT,
    )


async def send_by_smtp(settings: Settings, recipient: str) -> str:
    """The server's final answer, as `code message`; CommandError if it failed."""
    server = f"{settings.MAIL_SERVER}:{settings.MAIL_PORT}"
    try:
        return await SmtpMailer(settings).send(test_message(recipient))
    except aiosmtplib.SMTPException as exc:
        raise CommandError(f"{server}: {smtp_problem(exc)}", EXIT_CONFIG) from exc


def smtp_problem(exc: aiosmtplib.SMTPException) -> str:
    """What went wrong, in a person's words, with the server's own reply."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return f"authentication failed: {exc.code} {exc.message}"
    if isinstance(cause, ssl.SSLError) or "TLS" in str(exc) or "SSL" in str(exc):
        return f"TLS problem: {exc}"
    if isinstance(cause, ConnectionRefusedError) or "Connection refused" in str(exc):
        return "connection refused: is the SMTP server running on that port?"
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return f"no answer within MAIL_TIMEOUT ({exc})"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"the server refused the message: {exc.code} {exc.message}"
    return str(exc)


async def send_to_log(settings: Settings, recipient: str) -> None:
    configure_logging(settings)
    await create_mailer(settings).send(test_message(recipient))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m commands.send_test_email",
        description="Send a test email through the configured mailer (MAIL_*).",
    )
    parser.add_argument("--to", required=True, help="the address to send it to")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def send() -> int:
        settings = load_settings()
        recipient = validated_email(args.to)
        if not settings.MAIL_SERVER:
            sys.stdout.write(
                "MAIL_SERVER is not set: emails go to the log. The test email "
                "follows there.\n"
            )
            sys.stdout.flush()
            asyncio.run(send_to_log(settings, recipient))
            return EXIT_OK
        reply = asyncio.run(send_by_smtp(settings, recipient))
        sys.stdout.write(
            f"Sent a test email to {recipient} through "
            f"{settings.MAIL_SERVER}:{settings.MAIL_PORT}; the server answered: "
            f"{reply}\n"
        )
        return EXIT_OK

    return run_command(send)


if __name__ == "__main__":
    sys.exit(main())
