"""Delete expired refresh tokens.

    uv run python -m commands.purge_tokens
    uv run python -m commands.purge_tokens --batch-size 5000

Run it daily (cron, a scheduled job). Rotated and revoked tokens are kept until
they expire (REFRESH_TOKEN_EXPIRE_DAYS after issue), so a stolen token replayed
before then is still recognised and ends its session; after that it is refused
anyway and its row is deleted here. Logins also delete the user's own expired
tokens, so this only catches the users who stopped coming back.

Rows go in batches, each its own transaction, so a large purge never holds
long locks. Prints how many were deleted; exit status 1 if the database failed
(batches already committed stay deleted).
"""

import argparse
import asyncio
import sys

from sqlalchemy.exc import SQLAlchemyError

from app.core.config import Settings
from app.db.session import create_engine, create_sessionmaker, session_scope
from app.sessions.store import purge_expired, utc_now
from commands._common import EXIT_OK, EXIT_USAGE, load_settings, report_failure

DEFAULT_BATCH_SIZE = 10_000


async def purge_tokens(settings: Settings, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Delete every token expired now; returns how many."""
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    now = utc_now()
    deleted = 0
    try:
        while True:
            async with session_scope(sessionmaker) as session:
                batch = await purge_expired(session, now, limit=batch_size)
            deleted += batch
            if batch < batch_size:
                return deleted
    finally:
        await engine.dispose()


def _batch_size(value: str) -> int:
    size = int(value)
    if size < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m commands.purge_tokens",
        description="Delete expired refresh tokens.",
    )
    parser.add_argument(
        "--batch-size",
        type=_batch_size,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows deleted per transaction (default {DEFAULT_BATCH_SIZE})",
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    if settings is None:
        return EXIT_USAGE
    try:
        deleted = asyncio.run(purge_tokens(settings, args.batch_size))
    except (SQLAlchemyError, OSError) as exc:
        return report_failure("purge refresh tokens", settings, exc)
    sys.stdout.write(f"Deleted {deleted} expired refresh token(s).\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
