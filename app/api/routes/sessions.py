"""The current user's sessions (one per login): list them, end one or the others.

A session is a refresh token family (see app/auth/refresh.py). The current one is
the session of the access token making the request.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict

from app.api.deps import SessionDep
from app.api.listing import PageParamsDep, sort_dependency
from app.auth.backend import CurrentAccessSession
from app.auth.refresh import (
    live_sessions,
    revoke_user_session,
    revoke_user_sessions,
    utc_now,
)
from app.models import RefreshToken
from app.schemas.common import ErrorRead, Page
from app.services.listing import SortSpec, fetch_page

router = APIRouter(prefix="/users/me/sessions", tags=["sessions"])

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {
        "model": ErrorRead,
        "description": "Missing or invalid token, or inactive user.",
    }
}
# The API's names for the columns of a session's live token.
SORTABLE = {
    "created_at": RefreshToken.authenticated_at,
    "last_used_at": RefreshToken.created_at,
}
SessionSortDep = Annotated[
    SortSpec, Depends(sort_dependency(list(SORTABLE), "-last_used_at"))
]


class SessionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "A login on one device, kept alive by refreshing."
        }
    )

    id: uuid.UUID
    user_agent: str | None
    ip: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool

    @classmethod
    def of(cls, token: RefreshToken, current_session: uuid.UUID) -> "SessionRead":
        return cls(
            id=token.family_id,
            user_agent=token.user_agent,
            ip=token.ip,
            created_at=token.authenticated_at,
            last_used_at=token.created_at,
            expires_at=token.expires_at,
            current=token.family_id == current_session,
        )


@router.get("", response_model=Page[SessionRead], responses=UNAUTHORIZED)
async def list_sessions(
    session: SessionDep,
    access: CurrentAccessSession,
    page: PageParamsDep,
    sort: SessionSortDep,
) -> Page[SessionRead]:
    """The user's live sessions; `current` marks the one making this request."""
    tokens, total = await fetch_page(
        session,
        live_sessions(access.user, utc_now()),
        page=page,
        sort=sort,
        sortable=SORTABLE,
        tiebreaker=RefreshToken.id,
    )
    return Page(
        items=[SessionRead.of(token, access.session_id) for token in tokens],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.delete(
    "/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **UNAUTHORIZED,
        status.HTTP_404_NOT_FOUND: {
            "model": ErrorRead,
            "description": "SESSION_NOT_FOUND: unknown, ended or someone else's.",
        },
    },
)
async def revoke_session(
    session_id: uuid.UUID, session: SessionDep, access: CurrentAccessSession
) -> None:
    """End one session (its access tokens stop working at once)."""
    await revoke_user_session(session, access.user.id, session_id)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHORIZED)
async def revoke_other_sessions(
    session: SessionDep, access: CurrentAccessSession
) -> None:
    """Sign out everywhere else: end every session but the current one."""
    await revoke_user_sessions(session, access.user.id, keep=access.session_id)
