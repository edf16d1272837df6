"""Roles from the command line, and a declarative roles file.

    uv run python -m commands.roles list
    uv run python -m commands.roles create teacher --name Teacher \\
        --permission items:read_any --permission stats:read
    uv run python -m commands.roles grant ann@example.com teacher
    uv run python -m commands.roles revoke ann@example.com teacher
    uv run python -m commands.roles apply examples/roles/school.toml

`apply` makes the roles named in a TOML file match it (creates the missing
ones, updates name, description and permissions of the others) and prints what
it changed; run it again and it changes nothing. Roles that are not in the file
are left alone. The file, one table per role slug:

    [roles.teacher]
    name = "Teacher"
    description = "Sees every pupil's work."
    permissions = ["items:read_any"]

Every change is one transaction and an audit event by the system (no actor).
Exit status 1 if the input is refused (an unknown permission, an unknown user
or role, a system role to change): nothing is written then.
"""

import argparse
import asyncio
import sys
import tomllib
from pathlib import Path
from typing import Any

from fastapi_users import exceptions
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import service as roles_service
from app.authz.access import Actor
from app.authz.errors import RoleAlreadyExists, RoleIsSystem, RoleNotFound
from app.authz.errors import UnknownPermissions as UnknownPermissionsError
from app.authz.permissions import PERMISSIONS
from app.authz.service import RoleChanges, RoleSpec
from app.core.config import Settings
from app.db.session import session_scope
from app.schemas.role import RoleCreate
from commands._common import (
    EXIT_OK,
    CommandError,
    load_settings,
    open_database,
    run_command,
    validated_email,
)
from commands._users import user_manager

SYSTEM = Actor.system()


def _refused(exc: Exception) -> CommandError:
    if isinstance(exc, UnknownPermissionsError):
        return CommandError(f"{exc} (see `list` for the defined ones)")
    if isinstance(exc, RoleNotFound):
        return CommandError("no such role")
    if isinstance(exc, RoleAlreadyExists):
        return CommandError("a role with this slug exists already")
    if isinstance(exc, RoleIsSystem):
        return CommandError("a system role cannot be changed")
    raise exc


def _validated_role(slug: str, entry: dict[str, Any], where: str) -> RoleCreate:
    try:
        return RoleCreate.model_validate({**entry, "slug": slug})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise CommandError(f"{where}: {problems}") from None


# --- list ---------------------------------------------------------------------


async def list_roles(session: AsyncSession) -> list[str]:
    lines = ["Roles:"]
    for view in await roles_service.list_roles(session):
        system = " (system)" if view.role.is_system else ""
        lines.append(f"  {view.role.slug}{system}: {view.role.name}")
        lines.append(f"    permissions: {', '.join(view.permissions) or '(none)'}")
    lines.append("Permissions the code defines:")
    lines += [f"  {name}: {member.description}" for name, member in PERMISSIONS.items()]
    return lines


# --- create, grant, revoke ----------------------------------------------------


async def create_role(
    session: AsyncSession,
    slug: str,
    name: str | None,
    description: str | None,
    permissions: list[str],
) -> list[str]:
    data = _validated_role(
        slug,
        {"name": name or slug, "description": description, "permissions": permissions},
        "the role",
    )
    spec = RoleSpec(data.slug, data.name, data.description, data.permissions)
    view = await roles_service.create_role(session, SYSTEM, spec, None)
    return [f"created {slug}: {', '.join(view.permissions) or '(no permissions)'}"]


async def change_grant(
    session: AsyncSession, settings: Settings, email: str, slug: str, *, grant: bool
) -> list[str]:
    manager = user_manager(session, settings)
    try:
        user = await manager.get_by_email(validated_email(email))
    except exceptions.UserNotExists:
        raise CommandError(f"no user has the email {email}") from None
    if grant:
        changed = await roles_service.grant_role(session, SYSTEM, user, slug, None)
        return [f"granted {slug} to {user.email}" if changed else "already held"]
    changed = await roles_service.revoke_role(session, SYSTEM, user, slug, None)
    return [f"revoked {slug} from {user.email}" if changed else "not held"]


# --- apply --------------------------------------------------------------------


def read_roles_file(path: Path) -> list[RoleCreate]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path} is not valid TOML: {exc}") from None
    roles = document.get("roles")
    unexpected = sorted(set(document) - {"roles"})
    if not isinstance(roles, dict) or unexpected:
        raise CommandError(f"{path}: expected only [roles.SLUG] tables")
    validated = []
    for slug, entry in roles.items():
        if not isinstance(entry, dict):
            raise CommandError(f"{path}: roles.{slug} must be a table")
        validated.append(_validated_role(slug, entry, f"{path}: roles.{slug}"))
    return validated


async def apply_roles(session: AsyncSession, wanted: list[RoleCreate]) -> list[str]:
    existing = {
        view.role.slug: view for view in await roles_service.list_roles(session)
    }
    lines = []
    for role in wanted:
        current = existing.get(role.slug)
        if current is None:
            spec = RoleSpec(role.slug, role.name, role.description, role.permissions)
            view = await roles_service.create_role(session, SYSTEM, spec, None)
            lines.append(
                f"created {role.slug}: "
                + (", ".join(view.permissions) or "(no permissions)")
            )
            continue
        before = set(current.permissions)
        after = set(role.permissions)
        unchanged = (
            current.role.name == role.name
            and current.role.description == role.description
            and before == after
        )
        if unchanged:
            lines.append(f"unchanged {role.slug}")
            continue
        changes = RoleChanges(
            name=role.name,
            description=role.description,
            permissions=role.permissions,
            fields=frozenset({"name", "description", "permissions"}),
        )
        await roles_service.update_role(session, SYSTEM, role.slug, changes, None)
        diff = [f"+{p}" for p in sorted(after - before)]
        diff += [f"-{p}" for p in sorted(before - after)]
        if current.role.name != role.name or current.role.description != (
            role.description
        ):
            diff.append("name/description")
        lines.append(f"updated {role.slug}: {' '.join(diff)}")
    changed = sum(not line.startswith("unchanged") for line in lines)
    lines.append(f"{changed} role(s) changed" if changed else "nothing to change")
    return lines


# --- the command --------------------------------------------------------------


async def run(settings: Settings, args: argparse.Namespace) -> list[str]:
    wanted = read_roles_file(Path(args.file)) if args.action == "apply" else None
    async with open_database(settings) as database:
        async with session_scope(database.sessionmaker) as session:
            try:
                if args.action == "list":
                    return await list_roles(session)
                if args.action == "create":
                    return await create_role(
                        session,
                        args.slug,
                        args.name,
                        args.description,
                        args.permission,
                    )
                if args.action in ("grant", "revoke"):
                    return await change_grant(
                        session,
                        settings,
                        args.email,
                        args.slug,
                        grant=args.action == "grant",
                    )
                assert wanted is not None
                return await apply_roles(session, wanted)
            except (
                UnknownPermissionsError,
                RoleNotFound,
                RoleAlreadyExists,
                RoleIsSystem,
            ) as exc:
                raise _refused(exc) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m commands.roles",
        description="List, create, grant and revoke roles; apply a roles file.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="the roles and the permissions the code defines")
    create = actions.add_parser("create", help="create a role")
    create.add_argument("slug", help="lower-case letters, digits, - and _")
    create.add_argument(
        "--permission",
        action="append",
        default=[],
        metavar="PERMISSION",
        help="a permission of the role (repeat for several)",
    )
    create.add_argument("--name", help="its display name (default: the slug)")
    create.add_argument("--description", help="what the role is for")
    for action, verb in (("grant", "grant a role to"), ("revoke", "revoke from")):
        sub = actions.add_parser(action, help=f"{verb} a user")
        sub.add_argument("email", help="the user's email")
        sub.add_argument("slug", help="the role")
    apply = actions.add_parser(
        "apply", help="create or update roles to match a TOML roles file"
    )
    apply.add_argument("file", help="the roles file (see examples/roles/)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def execute() -> int:
        settings = load_settings()
        lines = asyncio.run(run(settings, args))
        sys.stdout.write("\n".join(lines) + "\n")
        return EXIT_OK

    return run_command(execute)


if __name__ == "__main__":
    sys.exit(main())
