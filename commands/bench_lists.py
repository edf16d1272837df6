"""Benchmark GET /api/v1/items on PostgreSQL with 10 000 users and 100 000 items.

    createdb -h 127.0.0.1 -U postgres gatehouse_bench      # once
    uv run python -m commands.bench_lists
    uv run python -m commands.bench_lists --requests 500 --no-explain

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/gatehouse_bench)
names the database. Every run DROPS its public schema, migrates it to head and
seeds it again, so the database name must contain "bench" unless --any-database
is given.

Seeding uses bulk INSERTs through SQLAlchemy Core (5 000 rows a statement, one
pre-computed Argon2 hash for every user), then VACUUM ANALYZE so the planner
sees what autovacuum would have given a live database. One superuser and one
ordinary user with exactly 100 items are the clients; the other 99 900 items
are spread over the other users with creation times over two years.

Requests go to the app in-process through httpx's ASGITransport, one at a time,
after a warm-up: the figures are the app's own cost (routing, auth, the SQL,
serialisation) without a network hop or server process whose noise would blur
what the indexes change, and there is no port or process to manage. For each
scenario the table shows the median, p95 and p99 latency over --requests
requests; then EXPLAIN (ANALYZE, BUFFERS) of the exact SQL each scenario sent
(captured from the engine) shows which indexes the plans use.

Takes about a minute; it is not part of the test suite and does not run in CI.
"""

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.main import create_app, dispose_engines
from commands._bench_database import (
    OWN_ITEMS,
    PASSWORD,
    SUPERUSER_EMAIL,
    USER_EMAIL,
    Clients,
    bench_database_url,
    capture_sql,
    explain_plan,
    prepare_schema,
    seed,
)

WARMUP_REQUESTS = 10


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --- measuring ------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    as_superuser: bool
    params: dict[str, str | int]


def scenarios(clients: Clients, now: datetime) -> list[Scenario]:
    month_ago = (now - timedelta(days=30)).isoformat()
    year_ago = (now - timedelta(days=365)).isoformat()
    half_year_ago = (now - timedelta(days=182)).isoformat()
    return [
        Scenario("superuser: newest first", True, {}),
        Scenario(
            "superuser: last 30 days, by title",
            True,
            {"created_after": month_ago, "sort": "title"},
        ),
        Scenario(
            "superuser: one owner, -updated_at",
            True,
            {"owner_id": str(clients.busy_owner_id), "sort": "-updated_at"},
        ),
        Scenario("superuser: sort by title", True, {"sort": "title"}),
        Scenario("superuser: q=juniper", True, {"q": "juniper"}),
        Scenario("superuser: page 250 (offset 5000)", True, {"offset": 5000}),
        Scenario("user: newest first", False, {}),
        Scenario(
            "user: q=amber, by title, limit 100",
            False,
            {"q": "amber", "sort": "title", "limit": 100},
        ),
        Scenario(
            "user: created in a window, -updated_at",
            False,
            {
                "created_after": year_ago,
                "created_before": half_year_ago,
                "sort": "-updated_at",
            },
        ),
    ]


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    rows: int
    total: int
    latencies_ms: list[float]

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


async def get_page(
    http: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str | int]
) -> dict[str, Any]:
    response = await http.get("/api/v1/items", params=params, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{params}: {response.status_code} {response.text}")
    page: dict[str, Any] = response.json()
    return page


async def measure(
    http: httpx.AsyncClient, headers: dict[str, str], scenario: Scenario, count: int
) -> Result:
    for _ in range(WARMUP_REQUESTS):
        await get_page(http, headers, scenario.params)
    latencies: list[float] = []
    page: dict[str, Any] = {}
    for _ in range(count):
        started = time.perf_counter()
        page = await get_page(http, headers, scenario.params)
        latencies.append((time.perf_counter() - started) * 1000)
    return Result(scenario, len(page["items"]), page["total"], latencies)


async def explain(
    engine: AsyncEngine,
    http: httpx.AsyncClient,
    headers: dict[str, str],
    scenario: Scenario,
) -> None:
    with capture_sql(engine) as captured:
        await get_page(http, headers, scenario.params)
    list_queries = [c for c in captured if "FROM items" in c.statement]
    out(f"\n=== {scenario.name}  {scenario.params}")
    async with engine.connect() as connection:
        for query in list_queries:
            out("\n" + " ".join(query.statement.split()))
            for line in await explain_plan(connection, query):
                out(f"    {line}")


async def login(http: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await http.post(
        "/api/v1/auth/login", data={"username": email, "password": PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def print_table(results: list[Result], requests: int) -> None:
    out(f"\nGET /api/v1/items, {requests} sequential requests each (ms)")
    header = (
        f"{'scenario':<42} {'rows':>5} {'total':>7} {'p50':>7} {'p95':>7} {'p99':>7}"
    )
    out(header)
    out("-" * len(header))
    for result in results:
        out(
            f"{result.scenario.name:<42} {result.rows:>5} {result.total:>7} "
            f"{result.percentile(50):>7.2f} {result.percentile(95):>7.2f} "
            f"{result.percentile(99):>7.2f}"
        )


async def run(app: FastAPI, args: argparse.Namespace) -> None:
    engine: AsyncEngine = app.state.engine
    started = time.perf_counter()
    clients = await seed(engine, app.state.settings, args.users, args.items)
    out(
        f"seeded {args.users} users and {args.items} items "
        f"in {time.perf_counter() - started:.1f}s"
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        headers = {
            True: await login(http, SUPERUSER_EMAIL),
            False: await login(http, USER_EMAIL),
        }
        chosen = scenarios(clients, datetime.now(UTC))
        results = [
            await measure(http, headers[s.as_superuser], s, args.requests)
            for s in chosen
        ]
        print_table(results, args.requests)
        if args.explain:
            for scenario in chosen:
                await explain(
                    app.state.read_engine,  # GET pages read through it
                    http,
                    headers[scenario.as_superuser],
                    scenario,
                )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m commands.bench_lists", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--no-explain", dest="explain", action="store_false", help="skip EXPLAIN"
    )
    parser.add_argument(
        "--any-database",
        action="store_true",
        help="allow a database whose name does not contain 'bench' (it is emptied)",
    )
    args = parser.parse_args(argv)
    if args.users < 3 or args.items < OWN_ITEMS or args.requests < 2:
        parser.error(f"need --users >= 3, --items >= {OWN_ITEMS}, --requests >= 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    url = bench_database_url(args.any_database)
    if url is None:
        return 2
    app = create_app(Settings(DATABASE_URL=url, LOG_LEVEL="WARNING"))
    engine: AsyncEngine = app.state.engine

    async def run_and_dispose() -> None:
        try:
            await prepare_schema(engine, url)
            await run(app, args)
        finally:
            await dispose_engines(app)

    asyncio.run(run_and_dispose())
    return 0


if __name__ == "__main__":
    sys.exit(main())
