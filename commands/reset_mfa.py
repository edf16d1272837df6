"""Turn off a user's two-factor authentication (a lost phone and lost codes).

    uv run python -m commands.reset_mfa user@example.com

For operators: the user's authenticator and recovery codes are deleted, the
user is emailed (through the outbox) and the reset is audited. Exit status 1
when there is no such user or MFA is not on for them; 2 for a configuration or
database problem.
"""

import argparse
import asyncio
import sys

from app.core.config import Settings
from app.db.session import session_scope
from app.email import EmailQueue
from app.mfa import service as mfa_service
from app.mfa.errors import MfaNotEnabled
from app.mfa.service import MfaContext
from commands._common import (
    EXIT_OK,
    CommandError,
    load_settings,
    open_database,
    run_command,
    validated_email,
)
from commands._users import find_user


async def reset_mfa(settings: Settings, email: str) -> None:
    """Reset the MFA of the account with this email; CommandError if impossible."""
    async with open_database(settings) as database:
        user = await find_user(database.sessionmaker, settings, email)
        if user is None:
            raise CommandError(f"no user has the email {email!r}")
        ctx = MfaContext(settings=settings, emails=EmailQueue(), client=None)
        async with session_scope(database.sessionmaker) as session:
            try:
                await mfa_service.reset(session, user, ctx, actor_id=None)
            except MfaNotEnabled:
                raise CommandError(
                    f"two-factor authentication is not on for {email}"
                ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m commands.reset_mfa",
        description="Turn off a user's two-factor authentication.",
    )
    parser.add_argument("email", help="the user's email address")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def reset() -> int:
        email = validated_email(args.email)
        asyncio.run(reset_mfa(load_settings(), email))
        sys.stdout.write(f"Two-factor authentication is off for {email}.\n")
        return EXIT_OK

    return run_command(reset)


if __name__ == "__main__":
    sys.exit(main())
