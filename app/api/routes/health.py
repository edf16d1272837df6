"""Liveness (`/health/live`) and readiness with dependency checks (`/health`,
and `/health/ready`, which also fails while the process drains after SIGTERM).

Both answer HEAD too, with the same status and no body: load balancers probe
with it. The HEAD routes stay out of the OpenAPI schema (they mirror the GETs).
"""

import asyncio
import time
from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import text

router = APIRouter(tags=["health"])


class CheckResult(BaseModel):
    status: Literal["ok", "error"]
    latency_ms: float
    error: str | None = None


class HealthRead(BaseModel):
    status: Literal["ok", "error"]
    checks: dict[str, CheckResult]


async def check_database(request: Request) -> CheckResult:
    engine = request.app.state.read_engine
    timeout = request.app.state.settings.DATABASE_POOL_TIMEOUT
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return CheckResult(
            status="error",
            latency_ms=_elapsed_ms(started),
            error=type(exc).__name__,
        )
    return CheckResult(status="ok", latency_ms=_elapsed_ms(started))


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


@router.get(
    "/health",
    response_model=HealthRead,
    responses={503: {"model": HealthRead, "description": "A dependency is down."}},
)
async def read_health(request: Request, response: Response) -> HealthRead:
    health = await _health(request)
    if health.status != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return health


@router.head("/health", include_in_schema=False)
async def head_health(request: Request) -> Response:
    healthy = (await _health(request)).status == "ok"
    return Response(status_code=200 if healthy else 503)


@router.get(
    "/health/ready",
    response_model=HealthRead,
    responses={
        503: {
            "model": HealthRead,
            "description": "Draining after SIGTERM, or a dependency is down.",
        }
    },
)
async def read_readiness(request: Request, response: Response) -> HealthRead:
    """Readiness: route traffic here? 503 at once when SIGTERM starts the drain
    (see `SHUTDOWN_DRAIN_SECONDS`), and while the database is down."""
    health = await _health(request, drain_aware=True)
    if health.status != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return health


@router.head("/health/ready", include_in_schema=False)
async def head_readiness(request: Request) -> Response:
    healthy = (await _health(request, drain_aware=True)).status == "ok"
    return Response(status_code=200 if healthy else 503)


DRAINING = CheckResult(status="error", latency_ms=0, error="SHUTTING_DOWN")


async def _health(request: Request, *, drain_aware: bool = False) -> HealthRead:
    if drain_aware and request.app.state.draining:
        return HealthRead(status="error", checks={"process": DRAINING})
    checks = {"database": await check_database(request)}
    healthy = all(check.status == "ok" for check in checks.values())
    return HealthRead(status="ok" if healthy else "error", checks=checks)


@router.get("/health/live")
async def read_liveness() -> dict[str, str]:
    """Liveness: the process answers. A constant, with no dependency and no I/O.

    Point a liveness probe here (a database outage must not restart the app) and a
    readiness probe at `/health`. `commands.bench` measures every endpoint against it.
    """
    return {"status": "ok"}


@router.head("/health/live", include_in_schema=False)
async def head_liveness() -> Response:
    return Response(status_code=200)
