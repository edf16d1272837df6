"""The lists benchmark (`python -m commands.bench lists`): GET /api/v1/items
in-process, filter by filter and sort by sort, with the plans of its queries.

Requests go to the app in this process through httpx's ASGITransport, one at a
time, after a warm-up: the figures are the app's own cost (routing, auth, the
SQL, serialisation) without a network hop or a server process whose noise
would blur what the indexes change. For each scenario the table shows the
median, p95 and p99 latency over --requests requests; then EXPLAIN (ANALYZE,
BUFFERS) of the exact SQL each scenario sent shows which indexes it uses.
"""

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.main import create_app, dispose_engines
from commands.bench.database import (
    SUPERUSER_EMAIL,
    USER_EMAIL,
    Clients,
    prepare_schema,
    seed,
)
from commands.bench.plans import (
    RequestFailed,
    capture_sql,
    expect,
    explain_plan,
    login,
)
from commands.bench.report import out

WARMUP_REQUESTS = 10
ITEMS_PATH = "/api/v1/items"


@dataclass(frozen=True)
class Scenario:
    name: str
    as_superuser: bool
    params: dict[str, str | int]
    # Pages to walk by cursor first: the scenario then asks for the next one.
    walk: int = 0


DEEP_PAGE = 250
DEFAULT_LIMIT = 20  # the API's page size when no limit is given


def scenarios(clients: Clients, now: datetime, items: int) -> list[Scenario]:
    # The deep page: page 251 (of 20) when there are that many, else the last.
    walk = max(0, min(DEEP_PAGE, items // DEFAULT_LIMIT - 1))
    month_ago = (now - timedelta(days=30)).isoformat()
    year_ago = (now - timedelta(days=365)).isoformat()
    half_year_ago = (now - timedelta(days=182)).isoformat()
    return [
        Scenario("superuser: newest first", True, {}),
        Scenario("superuser: newest first, count=exact", True, {"count": "exact"}),
        Scenario(
            "superuser: last 30 days, by title",
            True,
            {"created_after": month_ago, "sort": "title"},
        ),
        Scenario(
            "superuser: one owner, -updated_at",
            True,
            {"owner_id": str(clients.some_owner_id), "sort": "-updated_at"},
        ),
        Scenario("superuser: sort by title", True, {"sort": "title"}),
        Scenario("superuser: q=juniper", True, {"q": "juniper"}),
        Scenario(f"superuser: page {walk + 1} (by cursor)", True, {}, walk=walk),
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
    total: int | None  # absent unless counted (an exact count may be opt-in)
    latencies_ms: list[float]

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


async def get_page(
    http: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str | int]
) -> dict[str, Any]:
    response = await http.get(ITEMS_PATH, params=params, headers=headers)
    expect(response, 200, f"GET {ITEMS_PATH} {params}")
    page: dict[str, Any] = response.json()
    return page


async def reach(
    http: httpx.AsyncClient, headers: dict[str, str], scenario: Scenario
) -> Scenario:
    """The scenario with the cursor of its page, walked to once (not timed)."""
    params = dict(scenario.params)
    for _ in range(scenario.walk):
        cursor = (await get_page(http, headers, params))["next_cursor"]
        if cursor is None:
            raise RequestFailed(f"{scenario.name}: fewer than {scenario.walk} pages")
        params["cursor"] = cursor
    return Scenario(scenario.name, scenario.as_superuser, params)


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
    return Result(scenario, len(page["items"]), page.get("total"), latencies)


async def explain(
    engine: AsyncEngine,
    http: httpx.AsyncClient,
    headers: dict[str, str],
    scenario: Scenario,
) -> None:
    with capture_sql(engine) as captured:
        await get_page(http, headers, scenario.params)
    shown = {k: v if k != "cursor" else "…" for k, v in scenario.params.items()}
    out(f"\n=== {scenario.name}  {shown}")
    async with engine.connect() as connection:
        for query in (c for c in captured if "FROM items" in c.flat):
            out("\n" + query.flat)
            for line in await explain_plan(connection, query):
                out(f"    {line}")


def print_table(results: list[Result], requests: int) -> None:
    out(f"\nGET {ITEMS_PATH}, {requests} sequential requests each (ms)")
    header = (
        f"{'scenario':<42} {'rows':>5} {'total':>7} {'p50':>7} {'p95':>7} {'p99':>7}"
    )
    out(header)
    out("-" * len(header))
    for result in results:
        total = "-" if result.total is None else str(result.total)
        out(
            f"{result.scenario.name:<42} {result.rows:>5} {total:>7} "
            f"{result.percentile(50):>7.2f} {result.percentile(95):>7.2f} "
            f"{result.percentile(99):>7.2f}"
        )


async def measure_lists(
    settings: Settings, users: int, items: int, requests: int, explained: bool
) -> None:
    """Empty and seed the database, then measure and explain every scenario."""
    app = create_app(settings)
    engine: AsyncEngine = app.state.engine
    try:
        started = time.perf_counter()
        await prepare_schema(engine, settings.DATABASE_URL)
        clients = await seed(engine, settings, users, items)
        elapsed = time.perf_counter() - started
        out(f"seeded {users} users and {items} items in {elapsed:.1f}s")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench"
        ) as http:
            headers = {
                True: await login(http, SUPERUSER_EMAIL),
                False: await login(http, USER_EMAIL),
            }
            chosen = [
                await reach(http, headers[s.as_superuser], s)
                for s in scenarios(clients, datetime.now(UTC), items)
            ]
            results = [
                await measure(http, headers[s.as_superuser], s, requests)
                for s in chosen
            ]
            print_table(results, requests)
            if explained:
                for scenario in chosen:
                    # GET pages read through the read engine.
                    await explain(
                        app.state.read_engine,
                        http,
                        headers[scenario.as_superuser],
                        scenario,
                    )
    finally:
        await dispose_engines(app)
