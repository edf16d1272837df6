"""Delete expired refresh tokens and expired second-factor challenges.

    uv run python -m commands.purge_tokens
    uv run python -m commands.purge_tokens --batch-size 5000

Run it daily (cron, a scheduled job). Rotated and revoked tokens are kept until
they expire (REFRESH_TOKEN_EXPIRE_DAYS after issue), so a stolen token replayed
before then is still recognised and ends its session; after that it is refused
anyway and its row is deleted here. Logins also delete the user's own expired
tokens, so this only catches the users who stopped coming back.

Rows go in batches, each its own transaction, so a large purge never holds
long locks. Second-factor challenges (5 minutes each) that were never
finished go the same way. Prints how many were deleted; exit status 2 if the
database failed (batches already committed stay deleted).
"""

import argparse
import asyncio
import sys
from collections.abc import Awaitable
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.db.session import session_scope
from app.mfa.store import purge_expired_challenges
from app.sessions.store import purge_expired, utc_now
from commands._common import EXIT_OK, load_settings, open_database, run_command

DEFAULT_BATCH_SIZE = 10_000


class Purge(Protocol):
    """A store's purge: delete at most `limit` rows expired by `now`."""

    def __call__(
        self, session: AsyncSession, now: datetime, *, limit: int
    ) -> Awaitable[int]: ...


async def _purge_in_batches(settings: Settings, purge: Purge, batch_size: int) -> int:
    """Run `purge` (what expired by now, `batch_size` rows a transaction) until
    a batch comes back short; returns how many rows went."""
    now = utc_now()
    deleted = 0
    async with open_database(settings) as database:
        while True:
            async with session_scope(database.sessionmaker) as session:
                batch = await purge(session, now, limit=batch_size)
            deleted += batch
            if batch < batch_size:
                return deleted


async def purge_tokens(settings: Settings, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Delete every token expired now; returns how many."""
    return await _purge_in_batches(settings, purge_expired, batch_size)


async def purge_challenges(
    settings: Settings, batch_size: int = DEFAULT_BATCH_SIZE
) -> int:
    """Delete every second-factor challenge expired now; returns how many."""
    return await _purge_in_batches(settings, purge_expired_challenges, batch_size)


def _batch_size(value: str) -> int:
    size = int(value)
    if size < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return size


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m commands.purge_tokens",
        description="Delete expired refresh tokens and sign-in challenges.",
    )
    parser.add_argument(
        "--batch-size",
        type=_batch_size,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows deleted per transaction (default {DEFAULT_BATCH_SIZE})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def purge() -> int:
        settings = load_settings()
        deleted = asyncio.run(purge_tokens(settings, args.batch_size))
        sys.stdout.write(f"Deleted {deleted} expired refresh token(s).\n")
        challenges = asyncio.run(purge_challenges(settings, args.batch_size))
        sys.stdout.write(f"Deleted {challenges} expired sign-in challenge(s).\n")
        return EXIT_OK

    return run_command(purge)


if __name__ == "__main__":
    sys.exit(main())
