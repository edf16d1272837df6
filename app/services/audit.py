"""Listing the audit trail (the records are written by `app.audit.recorder`)."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.db.listing import CreatedRange, Fetched, PageParams, SortSpec, fetch_page
from app.models import AuditEvent
from app.models.audit_event import AuditEventKind

SORTABLE: dict[str, InstrumentedAttribute[Any]] = {"created_at": AuditEvent.created_at}
DEFAULT_SORT = "-created_at"


@dataclass(frozen=True, slots=True)
class AuditFilters:
    user_id: uuid.UUID | None = None
    kind: AuditEventKind | None = None
    created: CreatedRange = field(default_factory=CreatedRange)

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = self.created.conditions(AuditEvent.created_at)
        if self.user_id is not None:
            conditions.append(
                or_(
                    AuditEvent.actor_user_id == self.user_id,
                    AuditEvent.target_user_id == self.user_id,
                )
            )
        if self.kind is not None:
            conditions.append(AuditEvent.kind == self.kind.value)
        return conditions


async def list_events(
    session: AsyncSession, filters: AuditFilters, page: PageParams, sort: SortSpec
) -> Fetched[AuditEvent]:
    return await fetch_page(
        session,
        select(AuditEvent).where(*filters.conditions()),
        page=page,
        sort=sort,
        sortable=SORTABLE,
        tiebreaker=AuditEvent.id,
    )
