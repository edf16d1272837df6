"""Create a superuser, or promote an existing user to one.

    uv run python -m commands.create_superuser            # asks, in a terminal
    uv run python -m commands.create_superuser --email admin@example.com
    FIRST_SUPERUSER_EMAIL=... FIRST_SUPERUSER_PASSWORD=... \\
        uv run python -m commands.create_superuser --if-configured

It goes through the API's UserManager and session factory, so the same email
validation, password policy and hashing apply. An existing account (matched
case-insensitively) is promoted and keeps its password, unless
--update-password asks to set it; running it again changes nothing.

In a terminal it asks again after an invalid email, a refused password or a
mismatched confirmation. Ctrl-C or Ctrl-D at a prompt stops it (exit 130)
with nothing written. Exit status as every command: see commands/_common.py.
"""

import argparse
import asyncio
import getpass
import signal
import sys
from collections.abc import Callable
from types import FrameType

from fastapi_users import exceptions
from pydantic import ValidationError

from app.auth.passwords import password_policy_violation
from app.core.config import Settings
from app.db.session import session_scope
from app.models import User
from app.schemas.user import UserCreate, UserUpdate
from commands._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    CommandError,
    Database,
    load_settings,
    open_database,
    run_command,
    validated_email,
)
from commands._users import find_user, user_manager

PasswordPrompt = Callable[[str], str]
"""Asks for a new password for the account with this email; returns one accepted."""

UNCHANGED_PASSWORD_NOTE = (
    " The password is unchanged: --password only sets a new account's password "
    "(add --update-password to change this one's)."
)


# --- where the values come from: flags, settings, or a prompt -------------


def configured_email(settings: Settings) -> str | None:
    return settings.FIRST_SUPERUSER_EMAIL or None


def configured_password(settings: Settings) -> str | None:
    secret = settings.FIRST_SUPERUSER_PASSWORD
    return (secret.get_secret_value() if secret else None) or None


def password_problem(password: str, email: str) -> str | None:
    """Why the API would refuse `password` for a new account `email`, or None."""
    try:
        UserCreate(email=email, password=password)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    return password_policy_violation(password, email)


def ask_email() -> str:
    while True:
        email = _prompt(input, "Email: ").strip()
        try:
            return validated_email(email)
        except CommandError as exc:
            _complain(f"{exc}.")


def ask_new_password(email: str) -> str:
    while True:
        password = _prompt(getpass.getpass, "Password: ")
        if _prompt(getpass.getpass, "Password (again): ") != password:
            _complain("the two passwords differ.")
            continue
        reason = password_problem(password, email)
        if reason is None:
            return password
        _complain(reason)


def _complain(problem: str) -> None:
    sys.stderr.write(f"Error: {problem} Try again.\n")
    sys.stderr.flush()


def _prompt(read: Callable[[str], str], label: str) -> str:
    try:
        return read(label)
    except (EOFError, KeyboardInterrupt) as exc:
        sys.stderr.write("\n")
        raise CommandError("cancelled; nothing was written.", EXIT_INTERRUPTED) from exc


def _interrupt_at_once(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# --- the work, in the API's terms ----------------------------------------


async def _update_existing(
    database: Database, settings: Settings, user: User, password: str | None
) -> str:
    """Make `user` an active, verified superuser; with `password`, set it too."""
    changes: dict[str, object] = {}
    if not (user.is_superuser and user.is_active and user.is_verified):
        changes = {"is_superuser": True, "is_active": True, "is_verified": True}
    if password is not None:
        changes["password"] = password
    if not changes:
        return f"{user.email} is already a superuser; nothing changed."
    async with session_scope(database.sessionmaker) as session:
        manager = user_manager(session, settings)
        current = await manager.get(user.id)
        try:
            await manager.update(
                UserUpdate.model_validate(changes), current, safe=False
            )
        except ValidationError as exc:
            raise CommandError(_first_reason(exc)) from exc
        except exceptions.InvalidPasswordException as exc:
            raise CommandError(f"password refused: {exc.reason}") from exc
    done = (
        f"Promoted the existing user {user.email} to superuser (active and verified)"
        if "is_superuser" in changes
        else f"{user.email} is already a superuser"
    )
    if password is None:
        return f"{done}; the password is unchanged."
    return f"{done}; set its new password and ended every session of the account."


async def _create(
    database: Database, settings: Settings, email: str, password: str
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
        raise CommandError(f"password refused: {_first_reason(exc)}") from exc
    async with session_scope(database.sessionmaker) as session:
        try:
            user = await user_manager(session, settings).create(user_create)
        except exceptions.InvalidPasswordException as exc:
            raise CommandError(f"password refused: {exc.reason}") from exc
        except exceptions.UserAlreadyExists as exc:
            raise CommandError(
                f"{email} was registered while this command ran; run it again "
                "to promote that account."
            ) from exc
    return f"Created the superuser {user.email} (id {user.id})."


def _first_reason(exc: ValidationError) -> str:
    return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")


async def _create_or_update(
    settings: Settings,
    email: str,
    password: str | None,
    *,
    update_password: bool,
    ask_password: PasswordPrompt | None,
) -> str:
    async with open_database(settings) as database:
        existing = await find_user(database.sessionmaker, settings, email)
        if existing is not None and not update_password:
            message = await _update_existing(database, settings, existing, None)
            return message + (UNCHANGED_PASSWORD_NOTE if password else "")
        if password is None and ask_password is not None:
            # Asked outside any transaction: a person typing must not hold
            # SQLite's write lock. Blocking this command's loop is harmless.
            password = ask_password(email)
        if password is None:
            raise CommandError(
                f"no password for {email}: pass --password, set "
                "FIRST_SUPERUSER_PASSWORD, or run the command in a terminal."
            )
        if existing is not None:
            return await _update_existing(database, settings, existing, password)
        return await _create(database, settings, email, password)


async def create_superuser(
    settings: Settings,
    *,
    email: str | None = None,
    password: str | None = None,
    if_configured: bool = False,
    update_password: bool = False,
    ask_password: PasswordPrompt | None = None,
) -> int:
    """Create or promote the superuser; report on stdout/stderr, return the exit code.

    `email` and `password` fall back to FIRST_SUPERUSER_EMAIL/PASSWORD. With
    `if_configured`, no email at all is a silent success (for start-up scripts).
    `ask_password` is called when a password is needed and none was given.
    """
    email = email or configured_email(settings)
    password = password or configured_password(settings)
    try:
        if email is None:
            if if_configured:
                return EXIT_OK
            raise CommandError(
                "no email: pass --email, set FIRST_SUPERUSER_EMAIL, or run the "
                "command in a terminal."
            )
        message = await _create_or_update(
            settings,
            validated_email(email),
            password,
            update_password=update_password,
            ask_password=ask_password,
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
            "the new account's password; an existing account keeps its own "
            "unless --update-password is given (visible to other local users "
            "in the process list: prefer FIRST_SUPERUSER_PASSWORD or the prompt)"
        ),
    )
    parser.add_argument(
        "--update-password",
        action="store_true",
        help=(
            "when the account exists, set its password too (from --password, "
            "FIRST_SUPERUSER_PASSWORD or the prompt), ending its sessions"
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

    def run() -> int:
        settings = load_settings()
        interactive = sys.stdin.isatty() and not args.if_configured
        # asyncio.run turns the first Ctrl-C into a cancellation that waits for
        # the event loop, which a prompt blocks: keep Python's immediate one.
        # Installed before the first prompt too: a process started with SIGINT
        # ignored (a background job of a script) inherits that, and Python then
        # installs no handler of its own, so Ctrl-C would do nothing.
        signal.signal(signal.SIGINT, _interrupt_at_once)
        email: str | None = args.email
        if email is None and configured_email(settings) is None and interactive:
            email = ask_email()
        return asyncio.run(
            create_superuser(
                settings,
                email=email,
                password=args.password,
                if_configured=args.if_configured,
                update_password=args.update_password,
                ask_password=ask_new_password if interactive else None,
            )
        )

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
