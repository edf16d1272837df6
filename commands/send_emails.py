"""Deliver the email outbox from a separate process.

    uv run python -m commands.send_emails          # until SIGINT or SIGTERM
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

from sqlalchemy.exc import SQLAlchemyError

from app.core.config import Settings
from app.core.logging import configure_logging
from app.db.session import create_engine, create_sessionmaker
from app.email import OutboxWorker, create_mailer
from commands._common import EXIT_OK, EXIT_USAGE, load_settings, report_failure


async def send_emails(settings: Settings, *, once: bool) -> int:
    """Deliver due emails, once or until cancelled; returns the attempts made once."""
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    worker = OutboxWorker(lambda: sessionmaker, create_mailer(settings), settings)
    try:
        if once:
            return await worker.deliver_due()
        await _run_until_signalled(worker)
        return 0
    finally:
        await engine.dispose()


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m commands.send_emails",
        description="Deliver the emails waiting in the database outbox.",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="deliver the emails due now, then exit (default: run until stopped)",
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    if settings is None:
        return EXIT_USAGE
    configure_logging(settings)
    try:
        attempted = asyncio.run(send_emails(settings, once=args.once))
    except (SQLAlchemyError, OSError) as exc:
        return report_failure("deliver emails", settings, exc)
    if args.once:
        sys.stdout.write(f"Attempted {attempted} email(s).\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
