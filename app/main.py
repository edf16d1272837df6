"""Application factory: settings, database, email outbox, middleware, routers."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.exc import SQLAlchemyError

from app.api.errors import register_error_handlers
from app.api.openapi import operation_id
from app.api.rate_limits import Limits
from app.api.responses import EVERY_ROUTE
from app.api.router import API_ROUTERS
from app.api.routes import health, prometheus
from app.api.routes.docs import add_docs, render_docs_pages
from app.auth.backend import build_jwt_strategy
from app.authz.startup import UndefinedPermissionsInDatabase, check_permissions
from app.core.config import API_PREFIX, Settings, get_settings
from app.core.logging import configure_logging
from app.core.rate_limit import RateLimiter
from app.core.redis import create_redis
from app.core.shutdown import install_drain_handler
from app.db.session import (
    create_engine,
    create_read_engine,
    create_read_sessionmaker,
    create_sessionmaker,
    wait_for_background_tasks,
)
from app.email import EmailQueue, OutboxWorker, create_mailer
from app.middleware.input_guard import UnstorableInputMiddleware
from app.middleware.limits import RequestLimitsMiddleware
from app.middleware.metrics import MetricsMiddleware, build_registry
from app.middleware.request_context import RequestContextMiddleware
from app.middleware.security_headers import SecurityHeadersMiddleware, docs_csp
from app.oauth.providers import build_providers

logger = logging.getLogger(__name__)

# How long a stopping app lets its outbox worker finish the email it is sending.
WORKER_STOP_GRACE_SECONDS = 10


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if warning := settings.scale_out_warning():
        logger.warning("only one process is supported: %s", warning)
    await refuse_undefined_permissions(app)
    restore_sigterm = install_drain_handler(
        settings.SHUTDOWN_DRAIN_SECONDS, lambda: setattr(app.state, "draining", True)
    )
    outbox: OutboxWorker = app.state.outbox_worker
    worker: asyncio.Task[None] | None = None
    if settings.OUTBOX_WORKER_ENABLED:
        worker = asyncio.create_task(outbox.run_forever())
    try:
        yield
    finally:
        if restore_sigterm is not None:
            restore_sigterm()
        if worker is not None:
            grace = min(app.state.settings.MAIL_TIMEOUT, WORKER_STOP_GRACE_SECONDS)
            await stop_worker(outbox, worker, grace)
        await wait_for_background_tasks()
        await dispose_engines(app)
        if app.state.redis is not None:
            await app.state.redis.aclose()


async def refuse_undefined_permissions(app: FastAPI) -> None:
    """Refuse to start if a role carries a permission the code does not define.

    A database that cannot be read yet (down, not migrated) is not refused
    here: the health checks report it, and the check runs at the next start.
    """
    try:
        async with app.state.read_sessionmaker() as session:
            await check_permissions(session)
    except UndefinedPermissionsInDatabase as exc:
        logger.error("refusing to start: %s", exc)
        raise
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("could not check the roles' permissions at start-up: %s", exc)


async def stop_worker(
    outbox: OutboxWorker, worker: asyncio.Task[None], grace_seconds: float
) -> None:
    """Let the outbox worker finish the email it is sending, then stop it.

    Cancelled only if it does not stop within `grace_seconds` (an SMTP server
    that hangs); an email cut off that way is sent again after its lease.
    """
    outbox.stop()
    with suppress(TimeoutError):
        async with asyncio.timeout(grace_seconds):
            await asyncio.shield(worker)
    if not worker.done():
        worker.cancel()
        with suppress(asyncio.CancelledError, TimeoutError):
            async with asyncio.timeout(grace_seconds):
                await worker


async def dispose_engines(app: FastAPI) -> None:
    """Close every pooled connection of the app (the read engine may be the same)."""
    await app.state.engine.dispose()
    await app.state.read_engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    openapi_url = f"{API_PREFIX}/openapi.json"
    app = FastAPI(
        title=settings.PROJECT_NAME,
        openapi_url=openapi_url,
        # Served by add_docs, with their assets: no CDN.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        responses=EVERY_ROUTE,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.engine = create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    app.state.read_engine = create_read_engine(settings, app.state.engine)
    app.state.read_sessionmaker = create_read_sessionmaker(app.state.read_engine)
    app.state.mailer = create_mailer(settings)
    app.state.outbox_worker = OutboxWorker(
        lambda: app.state.sessionmaker, app.state.mailer, settings
    )
    app.state.email_queue = EmailQueue(wake=app.state.outbox_worker.wake)
    app.state.jwt_strategy = build_jwt_strategy(settings)
    # What every instance must agree on lives in Redis when REDIS_URL is set:
    # rate-limit counters and the /stats cache. Everything else per process is
    # harmless: the verified-token cache (app/auth/access_tokens.py) holds only
    # signature checks, never whether a session is still live; the outbox
    # worker's wake-up only hurries a delivery the database already holds; the
    # rest (parsed settings and networks, the password hasher, the method index
    # of the error handlers, Prometheus metrics) are per process by nature.
    app.state.redis = create_redis(settings.REDIS_URL) if settings.REDIS_URL else None
    app.state.limits = Limits(
        settings, RateLimiter(settings.REDIS_URL, settings.REDIS_KEY_PREFIX)
    )
    # Set by SIGTERM (see app/core/shutdown.py): /health/ready answers 503.
    app.state.draining = False
    # Built from the settings; nothing is fetched until a sign-in needs it.
    app.state.oauth_providers = build_providers(settings)

    # Added innermost first: a request meets SecurityHeaders first, the input
    # guard last. All are pure ASGI so a client disconnect cancels the handler.
    app.add_middleware(UnstorableInputMiddleware)
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.MAX_BODY_BYTES,
        max_header_bytes=settings.MAX_HEADER_BYTES,
        timeout_seconds=settings.REQUEST_TIMEOUT_SECONDS,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.CORS_ORIGINS,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    if settings.METRICS_ENABLED:
        registry, request_metrics = build_registry(app.state.engine)
        app.state.metrics_registry = registry
        app.add_middleware(MetricsMiddleware, metrics=request_metrics)
        app.include_router(prometheus.router)
    app.add_middleware(RequestContextMiddleware)
    docs_pages = render_docs_pages(settings.PROJECT_NAME, openapi_url)
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts=settings.is_production,
        docs_policy=docs_csp(docs_pages.inline_script_hashes),
    )
    register_error_handlers(app)
    # Routes are matched in order: the probes first, they are hit the most.
    app.include_router(health.router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    add_docs(app, docs_pages)
    return app
