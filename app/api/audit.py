"""Audit dependencies for routes whose outcome the manager's hooks cannot see."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException, Request
from fastapi_users.router.common import ErrorCode

from app.models.audit_event import AuditEventKind
from app.services.audit import record_event_apart


async def audit_login_failure(request: Request) -> AsyncIterator[None]:
    """Record refused logins (fastapi-users answers them 400 LOGIN_BAD_CREDENTIALS).

    By the time the error reaches here the request's session has rolled back
    and closed (it was opened after this dependency), so the event gets a
    transaction of its own and no SQLite write lock is held twice.
    """
    try:
        yield
    except HTTPException as exc:
        if exc.detail == ErrorCode.LOGIN_BAD_CREDENTIALS:
            # The form was parsed (and cached on the request) for the route;
            # declaring `username` here too would repeat its 422 errors.
            username = (await request.form()).get("username")
            await record_event_apart(
                request.app.state.sessionmaker,
                AuditEventKind.LOGIN_FAILED,
                target_email=username if isinstance(username, str) else "",
                request=request,
            )
        raise


LoginFailureAudit = Depends(audit_login_failure, scope="function")
