"""Audit dependencies for outcomes the request's own transaction cannot keep."""

from collections.abc import AsyncIterator

from fastapi import Depends, Request

from app.audit.recorder import record_event_apart
from app.auth.client import client_info
from app.auth.errors import LoginBadCredentials
from app.models.audit_event import AuditEventKind


async def audit_login_failure(request: Request) -> AsyncIterator[None]:
    """Record refused logins (400 LOGIN_BAD_CREDENTIALS).

    By the time the error reaches here the request's session has rolled back
    and closed (it was opened after this dependency), so the event gets a
    transaction of its own and no SQLite write lock is held twice.
    """
    try:
        yield
    except LoginBadCredentials:
        # The form was parsed (and cached on the request) for the route;
        # declaring `username` here too would repeat its 422 errors.
        username = (await request.form()).get("username")
        await record_event_apart(
            request.app.state.sessionmaker,
            AuditEventKind.LOGIN_FAILED,
            target_email=username if isinstance(username, str) else "",
            client=client_info(request),
        )
        raise


LoginFailureAudit = Depends(audit_login_failure, scope="function")
