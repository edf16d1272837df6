"""Prometheus request metrics, recorded by a pure ASGI middleware.

Each app gets its own registry (so several apps in one process, as in tests,
do not share counters). Pool figures are read at scrape time.
"""

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.middleware.request_context import route_template

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "gatehouse_http_requests",
            "HTTP requests by route template, method and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "gatehouse_http_request_duration_seconds",
            "Time to answer HTTP requests, by route template and method.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )


class PoolCollector(Collector):
    """Connection-pool usage of the app's engine, read when scraped."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.engine.sync_engine.pool
        if not isinstance(pool, QueuePool):
            return
        figures = {
            "size": pool.size(),
            "checked_out": pool.checkedout(),
            "checked_in": pool.checkedin(),
            "overflow": max(pool.overflow(), 0),
        }
        for name, value in figures.items():
            yield GaugeMetricFamily(
                f"gatehouse_db_pool_{name}", f"Database pool: {name}.", value=value
            )


def build_registry(engine: AsyncEngine) -> tuple[CollectorRegistry, RequestMetrics]:
    registry = CollectorRegistry()
    metrics = RequestMetrics(registry)
    registry.register(PoolCollector(engine))
    return registry, metrics


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = route_template(scope)
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(
                time.perf_counter() - started
            )
