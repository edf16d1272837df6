"""User administration and account self-service, around fastapi-users' manager.

Every create, update and delete goes through `UserManager`, so validation,
hashing and hooks (verification emails) are the same as on registration. This
module adds the rules the manager does not know: nobody deletes or deactivates
themselves from the admin side, the last active superuser stays, bulk creation
is all-or-nothing, (self-service is `app.services.account`).

Administration needs `users:manage`, and holders who are not superusers meet
the no-escalation rules: only a superuser sets or clears `is_superuser`
(sending the field at all is refused), and nobody changes or deletes an
account more powerful than their own (a superuser, or a user holding a
permission they lack): they could otherwise take it over by its password.
"""

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from fastapi import Request
from fastapi_users import exceptions
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.auth.errors import UpdateUserEmailAlreadyExists, UpdateUserInvalidPassword
from app.auth.manager import UserManager
from app.authz import store as authz_store
from app.authz.access import Actor
from app.authz.errors import PermissionDenied
from app.db.listing import (
    CreatedRange,
    PageParams,
    SortSpec,
    contains_text,
    fetch_page,
)
from app.models import Role, User, UserRole
from app.models.user import normalize_email
from app.schemas.user import UserCreate, UserUpdate
from app.services.user_errors import (
    BulkEmailsConflict,
    BulkPasswordsRejected,
    CannotDeactivateSelf,
    CannotDeleteSelf,
    CreateUserInvalidPassword,
    LastSuperuser,
    UserAlreadyExists,
    bulk_entry,
)

# fastapi-users declares its base columns as plain values for type checkers
# (`id: UUID`, `email: str`...); on the class they are columns.
USER_ID = cast(InstrumentedAttribute[uuid.UUID], User.id)
USER_EMAIL = cast(InstrumentedAttribute[str], User.email)
USER_IS_ACTIVE = cast(InstrumentedAttribute[bool], User.is_active)
USER_IS_SUPERUSER = cast(InstrumentedAttribute[bool], User.is_superuser)
USER_IS_VERIFIED = cast(InstrumentedAttribute[bool], User.is_verified)

MAX_BULK_USERS = 100

# Case-insensitive, and the same on both databases: email_normalized is what
# the unique index holds (so it also serves the sort); users without a name sort
# as "" (first ascending, last descending) instead of where each database
# puts NULLs.
SORTABLE: dict[str, InstrumentedAttribute[Any] | ColumnElement[Any]] = {
    "email": User.email_normalized,
    "created_at": User.created_at,
    "full_name": func.coalesce(func.lower(User.full_name), ""),
}
SORT_FIELDS = tuple(SORTABLE)
DEFAULT_SORT = "-created_at"


@dataclass(frozen=True, slots=True)
class UserFilters:
    is_active: bool | None = None
    is_superuser: bool | None = None
    is_verified: bool | None = None
    search: str | None = None
    created: CreatedRange = field(default_factory=CreatedRange)
    role: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        flags = {
            USER_IS_ACTIVE: self.is_active,
            USER_IS_SUPERUSER: self.is_superuser,
            USER_IS_VERIFIED: self.is_verified,
        }
        conditions: list[ColumnElement[bool]] = [
            column == value for column, value in flags.items() if value is not None
        ]
        if self.search is not None:
            conditions.append(contains_text([USER_EMAIL, User.full_name], self.search))
        conditions += self.created.conditions(User.created_at)
        if self.role is not None:
            conditions.append(
                exists()
                .where(UserRole.user_id == USER_ID, UserRole.role_id == Role.id)
                .where(Role.slug == self.role)
            )
        return conditions


async def list_users(
    session: AsyncSession, filters: UserFilters, page: PageParams, sort: SortSpec
) -> tuple[list[User], int]:
    statement = select(User).where(*filters.conditions())
    return await fetch_page(
        session,
        statement,
        page=page,
        sort=sort,
        sortable=SORTABLE,
        tiebreaker=USER_ID,
    )


async def find_user(manager: UserManager, raw_id: str) -> User | None:
    """The user with this id; None if there is none or it is not a valid id."""
    try:
        return await manager.get(manager.parse_id(raw_id))
    except (exceptions.UserNotExists, exceptions.InvalidID):
        return None


# --- who may administer whom ---------------------------------------------------


def ensure_may_set_privileges(actor: Actor, data: UserCreate | UserUpdate) -> None:
    """Only a superuser may send `is_superuser`, on create, bulk create or update."""
    if "is_superuser" in data.model_fields_set and not actor.is_superuser:
        raise PermissionDenied()


async def ensure_may_manage(session: AsyncSession, actor: Actor, target: User) -> None:
    """A non-superuser changes or deletes only accounts no more powerful than theirs."""
    if actor.is_superuser:
        return
    if target.is_superuser:
        raise PermissionDenied()
    actor.ensure_holds(await authz_store.effective_permissions(session, target.id))


# --- creation ----------------------------------------------------------------


async def create_user(
    manager: UserManager, user_create: UserCreate, request: Request | None = None
) -> User:
    """Create a user as a superuser: the privilege flags in `user_create` apply."""
    try:
        return await manager.create(user_create, safe=False, request=request)
    except exceptions.InvalidPasswordException as exc:
        raise CreateUserInvalidPassword(str(exc.reason)) from exc
    except exceptions.UserAlreadyExists as exc:
        raise UserAlreadyExists() from exc


async def create_users(
    manager: UserManager,
    entries: Sequence[UserCreate],
    request: Request | None = None,
) -> list[User]:
    """Create every user in `entries`, or none (the caller's transaction rolls back).

    Every entry is checked before anything is written, so the error names all
    refused entries at once: passwords first (like `UserManager.create`), then
    emails already registered or repeated within `entries`.
    """
    rejected = await _rejected_passwords(manager, entries)
    if rejected:
        raise BulkPasswordsRejected(rejected)
    conflicts = await _conflicting_emails(manager.user_db.session, entries)
    if conflicts:
        raise BulkEmailsConflict(conflicts)
    created: list[User] = []
    for index, entry in enumerate(entries):
        try:
            created.append(await manager.create(entry, safe=False, request=request))
        except exceptions.UserAlreadyExists as exc:  # registered since the check
            raise BulkEmailsConflict(
                [bulk_entry(index, entry.email, "ALREADY_EXISTS")]
            ) from exc
    return created


async def _rejected_passwords(
    manager: UserManager, entries: Sequence[UserCreate]
) -> list[dict[str, Any]]:
    rejected = []
    for index, entry in enumerate(entries):
        try:
            await manager.validate_password(entry.password, entry)
        except exceptions.InvalidPasswordException as exc:
            rejected.append(bulk_entry(index, entry.email, str(exc.reason)))
    return rejected


async def _conflicting_emails(
    session: AsyncSession, entries: Sequence[UserCreate]
) -> list[dict[str, Any]]:
    lowered = [normalize_email(entry.email) for entry in entries]
    taken = set(
        await session.scalars(
            select(User.email_normalized).where(User.email_normalized.in_(set(lowered)))
        )
    )
    occurrences = Counter(lowered)
    conflicts = []
    for index, (entry, email) in enumerate(zip(entries, lowered, strict=True)):
        if email in taken:
            conflicts.append(bulk_entry(index, entry.email, "ALREADY_EXISTS"))
        elif occurrences[email] > 1:
            conflicts.append(bulk_entry(index, entry.email, "DUPLICATE_IN_REQUEST"))
    return conflicts


# --- administration ------------------------------------------------------------


async def update_user(
    manager: UserManager,
    actor: User,
    target: User,
    update: UserUpdate,
    request: Request | None = None,
) -> User:
    """A superuser's update of any user, privilege flags included."""
    if update.is_active is False and target.id == actor.id:
        raise CannotDeactivateSelf()
    if update.is_active is False or update.is_superuser is False:
        await ensure_another_superuser_remains(manager.user_db.session, target)
    return await apply_update(manager, target, update, safe=False, request=request)


async def delete_user(
    manager: UserManager, actor: User, target: User, request: Request | None = None
) -> None:
    if target.id == actor.id:
        raise CannotDeleteSelf()
    await ensure_another_superuser_remains(manager.user_db.session, target)
    await manager.delete(target, request=request)


async def ensure_another_superuser_remains(session: AsyncSession, user: User) -> None:
    """Refuse to take superuser powers from `user` if nobody else would keep them.

    The active superusers' rows are locked (SELECT ... FOR UPDATE on
    PostgreSQL) until the transaction ends, so two superusers demoting or
    deleting each other at once are serialised: the second one sees the
    first's change and gets LAST_SUPERUSER. SQLite needs no lock: every
    transaction starts with BEGIN IMMEDIATE, so writers already run one at a
    time.
    """
    superuser_ids = await _lock_active_superuser_ids(session)
    if user.id in superuser_ids and not superuser_ids - {user.id}:
        raise LastSuperuser()


async def _lock_active_superuser_ids(session: AsyncSession) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(USER_ID)
        .where(USER_IS_SUPERUSER, USER_IS_ACTIVE)
        .order_by(USER_ID)  # the same lock order everywhere: no deadlocks
        .with_for_update()
    )
    return set(rows)


async def apply_update(
    manager: UserManager,
    user: User,
    update: UserUpdate,
    *,
    safe: bool,
    request: Request | None,
) -> User:
    """`UserManager.update`, its errors in fastapi-users' PATCH /users codes."""
    try:
        return await manager.update(update, user, safe=safe, request=request)
    except exceptions.InvalidPasswordException as exc:
        raise UpdateUserInvalidPassword(str(exc.reason)) from exc
    except exceptions.UserAlreadyExists as exc:
        raise UpdateUserEmailAlreadyExists() from exc
