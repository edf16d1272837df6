"""The one way to build fastapi-users' user manager, with its collaborators.

The app's dependency, the commands and the test fixtures all call
`build_user_manager`, so the manager always records the audit trail and ends
sessions the same way.
"""

from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_event, record_user_event
from app.auth.client import client_info, request_user_id
from app.auth.db import UserDatabase
from app.auth.manager import UserManager
from app.core.config import Settings
from app.email import EmailQueue
from app.models import User
from app.models.audit_event import AuditEventKind
from app.sessions import store


class ManagerEvents:
    """`app.auth.manager.AccountEvents`: the audit trail and the session store."""

    def record(
        self,
        session: AsyncSession,
        kind: AuditEventKind,
        user: User,
        request: Request | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        client = client_info(request) if request is not None else None
        record_user_event(
            session,
            kind,
            user,
            client,
            actor_id=request_user_id(request),
            details=details,
        )

    def record_deletion(
        self, session: AsyncSession, user: User, request: Request | None
    ) -> None:
        # The row is gone: no foreign key to it; the id is kept in the details.
        actor_id = request_user_id(request)
        record_event(
            session,
            AuditEventKind.USER_DELETED,
            actor_id=None if actor_id == user.id else actor_id,
            target_id=None,
            target_email=user.email,
            client=client_info(request) if request is not None else None,
            details={"user_id": str(user.id)},
        )

    async def end_sessions(self, session: AsyncSession, user: User) -> None:
        await store.revoke_user_sessions(session, user.id)


MANAGER_EVENTS = ManagerEvents()


def build_user_manager(
    session: AsyncSession, settings: Settings, email_queue: EmailQueue
) -> UserManager:
    return UserManager(
        UserDatabase(session, User), settings, email_queue, MANAGER_EVENTS
    )
