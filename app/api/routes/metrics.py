"""Runtime figures for superusers: the database connection pool."""

from fastapi import APIRouter, Request

from app.api.deps import SUPERUSER, CurrentSuperuser
from app.api.responses import raises
from app.schemas.stats import DatabaseMetricsRead
from app.services.metrics import database_metrics

router = APIRouter(prefix="/metrics", tags=["operations"])


@router.get(
    "/database", response_model=DatabaseMetricsRead, responses=raises(*SUPERUSER)
)
async def read_database_metrics(
    request: Request, _: CurrentSuperuser
) -> DatabaseMetricsRead:
    """Pool size and use; `pooled: false` when the engine keeps no pool."""
    return database_metrics(request.app.state.engine)
