"""The audit trail of security events (`audit:read`)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import PERMISSION_REQUIRED, CanReadAudit, SessionDep
from app.api.listing import CreatedRangeDep, PageParamsDep, sort_dependency
from app.api.responses import raises
from app.db.listing import SortSpec
from app.models.audit_event import AuditEventKind
from app.schemas.audit import AuditEventRead
from app.schemas.listing import Page
from app.services import audit as audit_service
from app.services.audit import DEFAULT_SORT, SORTABLE, AuditFilters

router = APIRouter(prefix="/audit-events", tags=["audit"])

AuditSortDep = Annotated[
    SortSpec, Depends(sort_dependency(list(SORTABLE), DEFAULT_SORT))
]


async def audit_filters(
    created: CreatedRangeDep,
    user_id: Annotated[
        uuid.UUID | None,
        Query(description="Only events this user did or that were done to them."),
    ] = None,
    kind: Annotated[AuditEventKind | None, Query()] = None,
) -> AuditFilters:
    return AuditFilters(
        user_id=user_id,
        kind=kind,
        created=created,
    )


AuditFiltersDep = Annotated[AuditFilters, Depends(audit_filters)]


@router.get(
    "", response_model=Page[AuditEventRead], responses=raises(*PERMISSION_REQUIRED)
)
async def list_audit_events(
    session: SessionDep,
    _: CanReadAudit,
    page: PageParamsDep,
    sort: AuditSortDep,
    filters: AuditFiltersDep,
) -> Page[AuditEventRead]:
    """Security events, newest first unless `sort` says else."""
    events, total = await audit_service.list_events(session, filters, page, sort)
    items = [AuditEventRead.model_validate(event) for event in events]
    return Page[AuditEventRead].of(items, total, page)
