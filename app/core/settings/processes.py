"""Processes: API workers, their graceful stop, and the background worker's
housekeeping."""

from pydantic import Field

from app.core.settings.base import SettingsBase


class ProcessSettings(SettingsBase):
    # `python -m app.serve` (and start.sh in production) starts WEB_CONCURRENCY
    # uvicorn workers. More than one process needs REDIS_URL (shared rate limits
    # and caches).
    WEB_CONCURRENCY: int = Field(default=1, ge=1)
    # On SIGTERM: /health/ready answers 503 at once, requests are still served for
    # SHUTDOWN_DRAIN_SECONDS (the load balancer notices), then the server stops
    # accepting and waits at most SHUTDOWN_TIMEOUT_SECONDS for in-flight requests.
    SHUTDOWN_DRAIN_SECONDS: float = Field(default=0, ge=0)
    SHUTDOWN_TIMEOUT_SECONDS: int = Field(default=30, gt=0)

    # Housekeeping by `python -m commands.worker` (every PURGE_INTERVAL_SECONDS):
    # expired refresh tokens, and sent or failed emails and audit events older
    # than their retention in days (0: keep them forever).
    PURGE_INTERVAL_SECONDS: float = Field(default=3600, gt=0)
    OUTBOX_RETENTION_DAYS: int = Field(default=30, ge=0)
    AUDIT_RETENTION_DAYS: int = Field(default=365, ge=0)
