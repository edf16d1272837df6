"""The current user's sessions (one per login): list them, end one or the others.

A session is a refresh token family (see app/sessions/). The current one is the
session of the access token making the request.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.api.deps import AUTHENTICATED, CurrentAccessSession, SessionDep
from app.api.listing import PageParamsDep, sort_dependency
from app.api.responses import raises
from app.db.listing import SortSpec
from app.schemas.listing import Page
from app.schemas.session import SessionRead
from app.sessions import service as sessions
from app.sessions.errors import SessionNotFound

router = APIRouter(prefix="/users/me/sessions", tags=["sessions"])

SessionSortDep = Annotated[
    SortSpec,
    Depends(sort_dependency(list(sessions.SORTABLE), sessions.DEFAULT_SORT)),
]


@router.get("", response_model=Page[SessionRead], responses=raises(*AUTHENTICATED))
async def list_sessions(
    session: SessionDep,
    access: CurrentAccessSession,
    page: PageParamsDep,
    sort: SessionSortDep,
) -> Page[SessionRead]:
    """The user's live sessions; `current` marks the one making this request."""
    fetched = await sessions.list_sessions(session, access.user, page, sort)
    items = [SessionRead.of(token, access.session_id) for token in fetched.items]
    return Page[SessionRead].of(items, fetched, page)


@router.delete(
    "/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(*AUTHENTICATED, SessionNotFound),
)
async def revoke_session(
    session_id: uuid.UUID, session: SessionDep, access: CurrentAccessSession
) -> None:
    """End one session (its access tokens stop working at once)."""
    await sessions.end_session(session, access.user, session_id)


@router.delete(
    "", status_code=status.HTTP_204_NO_CONTENT, responses=raises(*AUTHENTICATED)
)
async def revoke_other_sessions(
    session: SessionDep, access: CurrentAccessSession
) -> None:
    """Sign out everywhere else: end every session but the current one."""
    await sessions.end_other_sessions(session, access)
