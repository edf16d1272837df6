"""Create a superuser, or promote an existing user to one.

    uv run python -m commands.create_superuser            # asks, in a terminal
    uv run python -m commands.create_superuser --email admin@example.com
    FIRST_SUPERUSER_EMAIL=... FIRST_SUPERUSER_PASSWORD=... \\
        uv run python -m commands.create_superuser --if-configured

It goes through the API's UserManager and session factory, so the same email
validation, password policy and hashing apply. An existing account (matched
case-insensitively) is promoted and keeps its password; running it again
changes nothing.
"""

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable

from fastapi_users import exceptions
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.manager import UserManager
from app.core.config import Settings, get_settings
from app.db.session import (
    create_engine,
    create_sessionmaker,
    session_scope,
    wait_for_background_tasks,
)
from app.email import EmailQueue
from app.schemas.user import UserCreate, UserUpdate
from app.services.user_manager import build_user_manager
from commands._common import database_label

EXIT_OK = 0
EXIT_REFUSED = 1  # bad input or a database error; nothing was written
EXIT_USAGE = 2  # a value is missing and there is no terminal to ask for it
EXIT_CANCELLED = 130  # Ctrl-C or end of input at a prompt

PasswordPrompt = Callable[[], str]

_email_adapter: TypeAdapter[str] = TypeAdapter(EmailStr)


class CommandError(Exception):
    """A message for stderr and the exit code that goes with it."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --- where the values come from: flags, settings, or a prompt -------------


def configured_email(settings: Settings) -> str | None:
    return settings.FIRST_SUPERUSER_EMAIL or None


def configured_password(settings: Settings) -> str | None:
    secret = settings.FIRST_SUPERUSER_PASSWORD
    return (secret.get_secret_value() if secret else None) or None


def ask_email() -> str:
    return _prompt(input, "Email: ").strip()


def ask_new_password() -> str:
    password = _prompt(getpass.getpass, "Password: ")
    confirmation = _prompt(getpass.getpass, "Password (again): ")
    if password != confirmation:
        raise CommandError("The passwords do not match; nothing was written.")
    return password


def _prompt(read: Callable[[str], str], label: str) -> str:
    try:
        return read(label)
    except (EOFError, KeyboardInterrupt) as exc:
        raise CommandError("\nCancelled; nothing was written.", EXIT_CANCELLED) from exc


def validated_email(email: str) -> str:
    try:
        return _email_adapter.validate_python(email)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise CommandError(f"Invalid email address {email!r}: {reason}") from exc


# --- the work, in the API's terms ----------------------------------------


def _user_manager(session: AsyncSession, settings: Settings) -> UserManager:
    # Queued emails wait in the outbox for the app's worker or `send_emails`.
    return build_user_manager(session, settings, EmailQueue())


async def _find_and_promote(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, email: str
) -> str | None:
    """Promote the account with this email; None when there is no such account."""
    async with session_scope(sessionmaker) as session:
        manager = _user_manager(session, settings)
        try:
            user = await manager.get_by_email(email)
        except exceptions.UserNotExists:
            return None
        if user.is_superuser and user.is_active and user.is_verified:
            return f"{user.email} is already a superuser; nothing changed."
        promotion = UserUpdate(is_superuser=True, is_active=True, is_verified=True)
        await manager.update(promotion, user, safe=False)
        return (
            f"Promoted the existing user {user.email} to superuser "
            "(active and verified); the password is unchanged."
        )


async def _create(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    email: str,
    password: str,
) -> str:
    try:
        user_create = UserCreate(
            email=email,
            password=password,
            is_superuser=True,
            is_active=True,
            is_verified=True,
        )
    except ValidationError as exc:
        raise CommandError(f"Password refused: {exc.errors()[0]['msg']}") from exc
    async with session_scope(sessionmaker) as session:
        try:
            user = await _user_manager(session, settings).create(user_create)
        except exceptions.InvalidPasswordException as exc:
            raise CommandError(f"Password refused: {exc.reason}") from exc
        except exceptions.UserAlreadyExists as exc:
            raise CommandError(
                f"{email} was registered while this command ran; run it again "
                "to promote that account."
            ) from exc
    return f"Created the superuser {user.email} (id {user.id})."


async def _create_or_promote(
    settings: Settings,
    email: str,
    password: str | None,
    ask_password: PasswordPrompt | None,
) -> str:
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    try:
        promoted = await _find_and_promote(sessionmaker, settings, email)
        if promoted is not None:
            return promoted
        if password is None and ask_password is not None:
            # Asked only now and outside any transaction: a person typing must
            # not hold SQLite's write lock. Blocking this CLI's loop is harmless.
            password = ask_password()
        if password is None:
            raise CommandError(
                f"No password for the new account {email}: pass --password, set "
                "FIRST_SUPERUSER_PASSWORD, or run the command in a terminal.",
                EXIT_USAGE,
            )
        return await _create(sessionmaker, settings, email, password)
    except (SQLAlchemyError, OSError) as exc:
        raise _database_error(settings, exc) from exc
    finally:
        await wait_for_background_tasks()
        await engine.dispose()


def _database_error(settings: Settings, exc: Exception) -> CommandError:
    url = database_label(settings)
    # The driver's own error, not SQLAlchemy's text, which quotes the parameters.
    cause = getattr(exc, "orig", None) or exc
    return CommandError(
        f"Database error on {url}: {type(cause).__name__}: {cause}\n"
        "Is it running and migrated? (`uv run alembic upgrade head`)"
    )


async def create_superuser(
    settings: Settings,
    *,
    email: str | None = None,
    password: str | None = None,
    if_configured: bool = False,
    ask_password: PasswordPrompt | None = None,
) -> int:
    """Create or promote the superuser; report on stdout/stderr, return the exit code.

    `email` and `password` fall back to FIRST_SUPERUSER_EMAIL/PASSWORD. With
    `if_configured`, no email at all is a silent success (for start-up scripts).
    `ask_password` is called when a new account needs a password none was given.
    """
    email = email or configured_email(settings)
    password = password or configured_password(settings)
    try:
        if email is None:
            if if_configured:
                return EXIT_OK
            raise CommandError(
                "No email: pass --email, set FIRST_SUPERUSER_EMAIL, or run the "
                "command in a terminal.",
                EXIT_USAGE,
            )
        message = await _create_or_promote(
            settings, validated_email(email), password, ask_password
        )
    except CommandError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    sys.stdout.write(f"{message}\n")
    return EXIT_OK


# --- command line ---------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m commands.create_superuser",
        description=(
            "Create a superuser, or promote an existing user to superuser. "
            "Values come from the flags, else FIRST_SUPERUSER_EMAIL and "
            "FIRST_SUPERUSER_PASSWORD (environment or .env), else a prompt when "
            "run in a terminal."
        ),
    )
    parser.add_argument("--email", help="the account's email address")
    parser.add_argument(
        "--password",
        help=(
            "the new account's password (visible to other local users in the "
            "process list: prefer FIRST_SUPERUSER_PASSWORD or the prompt)"
        ),
    )
    parser.add_argument(
        "--if-configured",
        action="store_true",
        help=(
            "do nothing and exit 0 when no email is given or configured; never "
            "prompt (for start-up scripts)"
        ),
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        sys.stderr.write(f"Error: invalid settings: {exc}\n")
        return EXIT_REFUSED
    interactive = sys.stdin.isatty() and not args.if_configured
    email: str | None = args.email
    if email is None and configured_email(settings) is None and interactive:
        try:
            email = ask_email()
        except CommandError as exc:
            sys.stderr.write(f"Error: {exc}\n")
            return exc.exit_code
    return asyncio.run(
        create_superuser(
            settings,
            email=email,
            password=args.password,
            if_configured=args.if_configured,
            ask_password=ask_new_password if interactive else None,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
