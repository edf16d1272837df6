"""The user manager: fastapi-users' business logic with gatehouse's rules.

What the manager reports (audit events) and what it delegates (ending a user's
sessions) comes in as `AccountEvents`, implemented by the services layer and
wired by `app.services.user_manager.build_user_manager`: this package imports
nothing from above it.
"""

import hmac
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import jwt
from fastapi import Request
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import BaseUserManager, UUIDIDMixin, exceptions, schemas
from fastapi_users.jwt import decode_jwt, generate_jwt
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.account_emails import AccountEmails
from app.auth.changes import AccountSnapshot, account_changes
from app.auth.db import UserDatabase
from app.auth.passwords import (
    password_fingerprint,
    password_helper_for,
    password_policy_violation,
)
from app.core.config import Settings
from app.db.session import release_connection
from app.email import EmailQueue
from app.models import User
from app.models.audit_event import AuditEventKind
from app.models.user import normalize_email
from app.schemas.common import reject_unstorable_text


class AccountEvents(Protocol):
    """The manager's collaborators from the services layer."""

    def record(
        self,
        session: AsyncSession,
        kind: AuditEventKind,
        user: User,
        request: Request | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Audit `kind`, done to `user` by the request's user (if any)."""

    def record_deletion(
        self, session: AsyncSession, user: User, request: Request | None
    ) -> None:
        """Audit the deletion of `user` (whose row is gone)."""

    async def end_sessions(self, session: AsyncSession, user: User) -> None:
        """End every session of `user` (their credentials changed)."""


def ends_sessions(user_changes: Mapping[str, Any]) -> bool:
    """Whether a user update must end every session: a new password (change or
    reset) or deactivation."""
    return "hashed_password" in user_changes or user_changes.get("is_active") is False


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    user_db: UserDatabase

    def __init__(
        self,
        user_db: UserDatabase,
        settings: Settings,
        email_queue: EmailQueue,
        events: AccountEvents,
    ):
        self.password_helper_async = password_helper_for(settings)
        super().__init__(user_db, self.password_helper_async)
        self.settings = settings
        self.emails = AccountEmails(settings, email_queue)
        self.events = events
        self.reset_password_secret = settings.secret("RESET_PASSWORD_SECRET_KEY")
        self.reset_password_token_secret = self.reset_password_secret
        self.reset_password_token_lifetime_seconds = (
            settings.RESET_PASSWORD_TOKEN_EXPIRE_SECONDS
        )
        self.verification_token_secret = settings.secret("VERIFICATION_SECRET_KEY")
        self.verification_token_lifetime_seconds = (
            settings.VERIFICATION_TOKEN_EXPIRE_SECONDS
        )

    # --- lookups -----------------------------------------------------------

    async def get_by_email(self, user_email: str) -> User:
        try:
            reject_unstorable_text(user_email)
        except ValueError as exc:
            # No stored email can contain it; asking the database would be an error.
            raise exceptions.UserNotExists() from exc
        return await super().get_by_email(user_email)

    # --- passwords, hashed off the event loop -------------------------------

    async def validate_password(
        self, password: str, user: schemas.BaseUserCreate | User
    ) -> None:
        reason = password_policy_violation(password, user.email)
        if reason is not None:
            raise exceptions.InvalidPasswordException(reason=reason)

    async def create(
        self,
        user_create: schemas.BaseUserCreate,
        safe: bool = False,
        request: Request | None = None,
    ) -> User:
        await self.validate_password(user_create.password, user_create)
        # fastapi-users leaves these two helpers unannotated.
        user_dict: dict[str, Any] = (
            user_create.create_update_dict()  # type: ignore[no-untyped-call]
            if safe
            else user_create.create_update_dict_superuser()  # type: ignore[no-untyped-call]
        )
        # Hashed before the first query: no transaction (on SQLite, no write
        # lock) waits on it. A taken email costs the same time as a new one.
        user_dict["hashed_password"] = await self.password_helper_async.hash_async(
            user_dict.pop("password")
        )
        if await self.user_db.get_by_email(user_create.email) is not None:
            raise exceptions.UserAlreadyExists()
        created_user = await self.user_db.create(user_dict)
        await self.on_after_register(created_user, request)
        return created_user

    async def password_matches(self, user: User, password: str) -> bool:
        """Whether `password` is the user's current one (to confirm an action)."""
        verified, _ = await self.password_helper_async.verify_and_update_async(
            password, user.hashed_password
        )
        return verified

    async def authenticate(self, credentials: OAuth2PasswordRequestForm) -> User | None:
        try:
            user = await self.get_by_email(credentials.username)
        except exceptions.UserNotExists:
            await release_connection(self.user_db.session)
            # Hash anyway so unknown emails take as long as wrong passwords.
            await self.password_helper_async.hash_async(credentials.password)
            return None
        await release_connection(self.user_db.session)
        verified, new_hash = await self.password_helper_async.verify_and_update_async(
            credentials.password, user.hashed_password
        )
        if not verified:
            return None
        if new_hash is not None:
            # Stored with older Argon2 parameters: upgrade it now.
            await self.user_db.update(user, {"hashed_password": new_hash})
        return user

    async def _update(self, user: User, update_dict: dict[str, Any]) -> User:
        validated: dict[str, Any] = {}
        password = update_dict.get("password")
        if password is not None:
            await self.validate_password(password, user)
            # Before any query: no transaction (no SQLite write lock) waits on it.
            validated["hashed_password"] = await self.password_helper_async.hash_async(
                password
            )
        for field, value in update_dict.items():
            if field == "email" and normalize_email(value) != user.email_normalized:
                if await self.user_db.get_by_email(value) is not None:
                    raise exceptions.UserAlreadyExists()
                validated["email"] = value
                validated["is_verified"] = False
            elif field != "password":
                validated[field] = value
        if "hashed_password" in validated:
            # A social-login account gets a usable password from its first reset.
            validated["has_usable_password"] = True
        if ends_sessions(validated):
            # Every access token issued before carries the old version.
            validated["token_version"] = User.token_version + 1
            await self.events.end_sessions(self.user_db.session, user)
        return await self.user_db.update(user, validated)

    async def update(
        self,
        user_update: schemas.BaseUserUpdate,
        user: User,
        safe: bool = False,
        request: Request | None = None,
    ) -> User:
        """fastapi-users' update, audited: `user` is changed in place, so the
        fields are snapshotted first to tell what the update changed."""
        before = AccountSnapshot.of(user)
        updated_user = await super().update(user_update, user, safe, request)
        session = self.user_db.session
        for kind, details in account_changes(before, updated_user):
            self.events.record(session, kind, updated_user, request, details)
            if kind is AuditEventKind.PASSWORD_CHANGED:
                self.emails.password_changed(session, updated_user)
            elif kind is AuditEventKind.EMAIL_CHANGED:
                self.emails.email_changed(session, updated_user, before.email)
        return updated_user

    # --- password reset with a cheap, keyed fingerprint -------------------

    async def forgot_password(self, user: User, request: Request | None = None) -> None:
        if not user.is_active:
            raise exceptions.UserInactive()
        token = generate_jwt(
            {
                "sub": str(user.id),
                "password_fgpt": self._fingerprint(user),
                "aud": self.reset_password_token_audience,
            },
            self.reset_password_token_secret,
            self.reset_password_token_lifetime_seconds,
        )
        await self.on_after_forgot_password(user, token, request)

    async def verify(self, token: str, request: Request | None = None) -> User:
        """fastapi-users' verification, on the locked row: of concurrent
        submissions of one token, the later ones see the account verified."""
        async with self.user_db.locking():
            return await super().verify(token, request)

    async def reset_password(
        self, token: str, password: str, request: Request | None = None
    ) -> User:
        try:
            data = decode_jwt(
                token,
                self.reset_password_token_secret,
                [self.reset_password_token_audience],
            )
            user_id = self.parse_id(data["sub"])
            fingerprint = str(data["password_fgpt"])
        except (jwt.PyJWTError, KeyError, exceptions.InvalidID) as exc:
            raise exceptions.InvalidResetPasswordToken() from exc
        # Hashed before the first query, so the row lock below is held briefly.
        hashed = await self.password_helper_async.hash_async(password)
        try:
            # Locked: a concurrent reset with the same token waits, then sees the
            # new hash, so the token's fingerprint no longer matches.
            async with self.user_db.locking():
                user = await self.get(user_id)
        except exceptions.UserNotExists as exc:
            raise exceptions.InvalidResetPasswordToken() from exc
        if not hmac.compare_digest(fingerprint, self._fingerprint(user)):
            raise exceptions.InvalidResetPasswordToken()
        if not user.is_active:
            raise exceptions.UserInactive()
        await self.validate_password(password, user)
        updated_user = await self._update(user, {"hashed_password": hashed})
        await self.on_after_reset_password(updated_user, request)
        return updated_user

    def _fingerprint(self, user: User) -> str:
        return password_fingerprint(self.reset_password_secret, user.hashed_password)

    # --- hooks: audit events and emails, in the request's transaction -------

    async def on_after_register(
        self, user: User, request: Request | None = None
    ) -> None:
        if not user.is_verified and user.is_active:
            await self.request_verify(user, request)

    async def on_after_update(
        self, user: User, update_dict: dict[str, Any], request: Request | None = None
    ) -> None:
        if "email" in update_dict and not user.is_verified and user.is_active:
            await self.request_verify(user, request)

    async def on_after_request_verify(
        self, user: User, token: str, request: Request | None = None
    ) -> None:
        self.emails.verification(self.user_db.session, user, token)

    async def on_after_forgot_password(
        self, user: User, token: str, request: Request | None = None
    ) -> None:
        self.emails.password_reset(self.user_db.session, user, token)

    async def on_after_verify(self, user: User, request: Request | None = None) -> None:
        self._audit(AuditEventKind.EMAIL_VERIFIED, user, request)
        self.emails.welcome(self.user_db.session, user)

    async def on_after_reset_password(
        self, user: User, request: Request | None = None
    ) -> None:
        self._audit(AuditEventKind.PASSWORD_RESET, user, request)
        self.emails.password_changed(self.user_db.session, user)

    async def on_after_delete(self, user: User, request: Request | None = None) -> None:
        self.events.record_deletion(self.user_db.session, user, request)

    def _audit(self, kind: AuditEventKind, user: User, request: Request | None) -> None:
        self.events.record(self.user_db.session, kind, user, request)
