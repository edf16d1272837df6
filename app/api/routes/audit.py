"""The audit trail of security events, for superusers."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import CurrentSuperuser, SessionDep
from app.api.listing import CreatedRangeDep, PageParamsDep, sort_dependency
from app.api.responses import SUPERUSER_ONLY
from app.models.audit_event import AuditEventKind
from app.schemas.audit import AuditEventRead
from app.schemas.common import Page
from app.services import audit as audit_service
from app.services.audit import DEFAULT_SORT, SORT_FIELDS, AuditFilters
from app.services.listing import SortSpec

router = APIRouter(prefix="/audit-events", tags=["audit"])

AuditSortDep = Annotated[
    SortSpec, Depends(sort_dependency(list(SORT_FIELDS), DEFAULT_SORT))
]


@router.get("", response_model=Page[AuditEventRead], responses=SUPERUSER_ONLY)
async def list_audit_events(
    session: SessionDep,
    _: CurrentSuperuser,
    page: PageParamsDep,
    sort: AuditSortDep,
    created: CreatedRangeDep,
    user_id: Annotated[
        uuid.UUID | None,
        Query(description="Only events this user did or that were done to them."),
    ] = None,
    kind: Annotated[AuditEventKind | None, Query()] = None,
) -> Page[AuditEventRead]:
    """Security events, newest first unless `sort` says else."""
    created_after, created_before = created
    filters = AuditFilters(
        user_id=user_id,
        kind=kind,
        created_after=created_after,
        created_before=created_before,
    )
    events, total = await audit_service.list_events(session, filters, page, sort)
    return Page[AuditEventRead](
        items=[AuditEventRead.model_validate(event) for event in events],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
