"""The background worker: email delivery and housekeeping, in one process.

    uv run python -m commands.worker          # until SIGINT or SIGTERM
    uv run python -m commands.worker --once   # one pass of each, then exit

Delivers the email outbox (as `commands.send_emails` does) and, every
PURGE_INTERVAL_SECONDS, deletes expired refresh tokens, second-factor
challenges and unfinished social-login flows, and the sent emails and audit
events past their retention (OUTBOX_RETENTION_DAYS, AUDIT_RETENTION_DAYS).
Run as many as you like, beside API processes started with
OUTBOX_WORKER_ENABLED=false: emails are claimed with SKIP LOCKED and a lease,
and one purge runs at a time (see app/services/retention.py).

The first SIGTERM lets the emails already claimed go out and the current purge
batch commit, then exits; a second one stops at once (a message cut off is sent
again by another worker after its lease).
"""

import argparse
import asyncio
import logging
import signal
import sys
from contextlib import suppress

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.logging import configure_logging
from app.email import OutboxWorker, create_mailer
from app.services.retention import purge_old_rows
from commands._common import EXIT_OK, load_settings, open_database, run_command

logger = logging.getLogger("gatehouse.worker")


async def run_worker(settings: Settings, *, once: bool) -> None:
    async with open_database(settings) as database:
        sessionmaker = database.sessionmaker
        outbox = OutboxWorker(lambda: sessionmaker, create_mailer(settings), settings)
        if once:
            attempted = await outbox.deliver_due()
            report = await purge_old_rows(sessionmaker, settings)
            logger.info("worker pass: %d email(s) attempted, %s", attempted, report)
            return
        stopping = asyncio.Event()
        tasks = [
            asyncio.create_task(outbox.run_forever()),
            asyncio.create_task(_purge_periodically(settings, sessionmaker, stopping)),
        ]
        signals = 0

        def on_signal() -> None:
            nonlocal signals
            signals += 1
            if signals == 1:
                outbox.stop()
                stopping.set()
            else:
                for task in tasks:
                    task.cancel()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        logger.info("worker started: email outbox and housekeeping")
        with suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks)


async def _purge_periodically(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    stopping: asyncio.Event,
) -> None:
    while not stopping.is_set():
        try:
            report = await purge_old_rows(sessionmaker, settings)
            logger.info("housekeeping: %s", report)
        except Exception:
            logger.exception("housekeeping pass failed; retrying later")
        with suppress(TimeoutError):
            async with asyncio.timeout(settings.PURGE_INTERVAL_SECONDS):
                await stopping.wait()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m commands.worker",
        description=(
            "Deliver the email outbox and purge expired tokens, old emails and "
            "old audit events, until stopped."
        ),
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="one delivery pass and one purge, then exit (default: run until stopped)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def work() -> int:
        settings = load_settings()
        configure_logging(settings)
        asyncio.run(run_worker(settings, once=args.once))
        return EXIT_OK

    return run_command(work)


if __name__ == "__main__":
    sys.exit(main())
