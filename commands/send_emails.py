"""Deliver the email outbox from a separate process.

    uv run python -m commands.send_emails          # until SIGINT or SIGTERM
    uv run python -m commands.send_emails --forever  # the same, said explicitly
    uv run python -m commands.send_emails --once   # deliver what is due, then exit

The app delivers its own emails when OUTBOX_WORKER_ENABLED is true (the
default); run this instead (with OUTBOX_WORKER_ENABLED=false for the app) to
deliver from its own process, or beside the app's workers: rows are claimed so
that no two workers send the same email. Failed emails are retried with
backoff (MAIL_MAX_ATTEMPTS, MAIL_RETRY_BASE_SECONDS).
"""

import argparse
import asyncio
import signal
import sys
from contextlib import suppress

from app.core.config import Settings
from app.core.logging import configure_logging
from app.email import OutboxWorker, create_mailer
from commands._common import EXIT_OK, load_settings, open_database, run_command


async def send_emails(settings: Settings, *, once: bool) -> int:
    """Deliver due emails, once or until cancelled; returns the attempts made once."""
    async with open_database(settings) as database:
        sessionmaker = database.sessionmaker
        worker = OutboxWorker(lambda: sessionmaker, create_mailer(settings), settings)
        if once:
            return await worker.deliver_due()
        await _run_until_signalled(worker)
        return 0


async def _run_until_signalled(worker: OutboxWorker) -> None:
    """The first signal lets the claimed emails go out; a second one cancels."""
    loop = asyncio.get_running_loop()
    running = asyncio.create_task(worker.run_forever())
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if signals == 1:
            worker.stop()
        else:
            running.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    with suppress(asyncio.CancelledError):
        await running


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m commands.send_emails",
        description="Deliver the emails waiting in the database outbox.",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="deliver the emails due now, then exit (default: run until stopped)",
    )
    parser.add_argument(
        "--forever",
        action="store_true",
        help="run until SIGINT or SIGTERM (the default; for process managers)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.once and args.forever:
        parser.error("--once and --forever exclude each other")

    def deliver() -> int:
        settings = load_settings()
        configure_logging(settings)
        attempted = asyncio.run(send_emails(settings, once=args.once))
        if args.once:
            sys.stdout.write(f"Attempted {attempted} email(s).\n")
        return EXIT_OK

    return run_command(deliver)


if __name__ == "__main__":
    sys.exit(main())
