"""Runtime figures (`metrics:read`): the database connection pool."""

from fastapi import APIRouter, Request

from app.api.deps import PERMISSION_REQUIRED, CanReadMetrics
from app.api.responses import raises
from app.schemas.stats import DatabaseMetricsRead
from app.services.metrics import database_metrics

router = APIRouter(prefix="/metrics", tags=["operations"])


@router.get(
    "/database",
    response_model=DatabaseMetricsRead,
    responses=raises(*PERMISSION_REQUIRED),
)
async def read_database_metrics(
    request: Request, _: CanReadMetrics
) -> DatabaseMetricsRead:
    """Pool size and use; `pooled: false` when the engine keeps no pool."""
    return database_metrics(request.app.state.engine)
